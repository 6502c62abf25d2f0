'use client';
// The pairing page: people (channel requests) and devices waiting for the owner's approval, newest
// first, with how old each is and when it expires. Lists long-poll while the page is open: the
// instance holds each list request until the list changes (or LONG_POLL_WAIT_S passes), so a new
// request shows within about a second and an idle page costs one request per list every 20 s.
// "Refresh" asks the instance to re-read openclaw's state instead of answering from its cache.
import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { CONTROLLER_API_VERSION } from '@/contracts/controller';
import { channelRequestsQuery, deviceRequestsQuery, instanceQuery } from '../../_lib/queries';
import { formatAge } from '../../_lib/time';
import { api } from '../../_lib/trpc';
import { useNow } from '../../_lib/use-now';
import { ActionButton, ActionResult, useAction } from '../action';
import { LoadingPage } from '../loading-page';
import { Notice } from '../notice';
import { ChannelRequests } from './channel-requests';
import { DeviceRequests } from './device-requests';

const LONG_POLL_WAIT_S = 20; // under the controller's 25 s cap and common proxy idle timeouts (30 s+)
const NEXT_LONG_POLL_MS = 50; // the next long-poll starts right after one answers
const PLAIN_POLL_MS = 5_000; // lists without versions (older controller, exec fallback) or after an error

type Versioned = { version?: number };

/** The next list call: wait for a version newer than the one shown, when there is one. */
function listInput(qc: QueryClient, key: readonly string[]) {
  const shown = qc.getQueryData<Versioned>(key);
  return shown?.version !== undefined ? { since: shown.version, wait: LONG_POLL_WAIT_S } : {};
}

const pollEvery = (q: { state: { data?: Versioned; status: string } }) =>
  q.state.status === 'error' || q.state.data?.version === undefined ? PLAIN_POLL_MS : NEXT_LONG_POLL_MS;

export function PairingPanel() {
  const qc = useQueryClient();
  const now = useNow(5_000);
  const instance = useQuery({
    ...instanceQuery,
    refetchInterval: 15_000,
  });
  const running = instance.data?.status === 'running';
  const longPoll = (signal: AbortSignal) => ({ signal, context: { longPoll: true } });
  const channels = useQuery({
    queryKey: channelRequestsQuery.queryKey,
    queryFn: ({ signal }) =>
      api.listChannelPairingRequests.query(listInput(qc, channelRequestsQuery.queryKey), longPoll(signal)),
    enabled: running,
    refetchInterval: pollEvery,
  });
  const devices = useQuery({
    queryKey: deviceRequestsQuery.queryKey,
    queryFn: ({ signal }) =>
      api.listDevicePairingRequests.query(listInput(qc, deviceRequestsQuery.queryKey), longPoll(signal)),
    enabled: running,
    refetchInterval: pollEvery,
  });
  const refresh = useAction(async () => {
    const [c, d] = await Promise.all([
      api.listChannelPairingRequests.query({ refresh: true }),
      api.listDevicePairingRequests.query({ refresh: true }),
    ]);
    qc.setQueryData(channelRequestsQuery.queryKey, c);
    qc.setQueryData(deviceRequestsQuery.queryKey, d);
    return [c, d];
  });

  const header = (
    <div className="page-header">
      <h1 id="pairing-title">Pairing</h1>
      {running ? (
        <ActionButton
          variant="secondary"
          small
          onClick={() => refresh.mutate()}
          pending={refresh.isPending}
          pendingLabel="Refreshing…"
        >
          Refresh
        </ActionButton>
      ) : null}
    </div>
  );

  if (instance.isPending || instance.isError) {
    return (
      <LoadingPage
        titleId="pairing-title"
        header={header}
        query={instance}
        errorTitle="We could not load your instance"
      />
    );
  }

  const lastUpdated = latest(channels.data?.lastUpdated, devices.data?.lastUpdated);
  // A re-read that could not read anything says so until the next Refresh (the lists keep polling).
  const stale = refresh.data?.find((d) => d.stale);
  const neverRead = running && [channels.data, devices.data].some((d) => d && d.lastUpdated === null);
  const controllerVersion = instance.data?.controllerVersion ?? null;
  return (
    <section aria-labelledby="pairing-title" className="stack">
      {header}
      <p className="lead">
        When someone messages your assistant for the first time, or a new device connects, it waits here until you
        approve it. Only approve people and devices you recognise.
      </p>
      {!running ? (
        <Notice tone="info" title="Your instance is not running">
          <p>
            Pairing requests arrive while your assistant is online. <Link href="/instance">Start your instance</Link> to
            see them.
          </p>
        </Notice>
      ) : (
        <>
          <ActionResult m={refresh} success={null} />
          {controllerVersion && controllerVersion !== CONTROLLER_API_VERSION ? (
            <Notice tone="warning" title="Your instance runs an older controller">
              <p>
                It reports version {controllerVersion}; this dashboard expects {CONTROLLER_API_VERSION}. Pairing may be
                slower or show less until the instance is restarted on the current version.
              </p>
            </Notice>
          ) : null}
          {stale ? (
            <Notice tone="warning" title="Could not re-read the pairing requests">
              <p>
                {stale.staleReason ?? 'Your instance could not read openclaw.'} Showing the list as it was last read
                {lastUpdated ? ` ${formatAge(lastUpdated, now)}` : ''}.
              </p>
            </Notice>
          ) : null}
          <p className="muted small" data-testid="last-checked">
            {lastUpdated
              ? `Last checked ${formatAge(lastUpdated, now)}.`
              : neverRead
                ? 'Checking… your instance has not read its pairing requests yet.'
                : null}
          </p>
          <ChannelRequests query={channels} now={now} />
          <DeviceRequests query={devices} now={now} />
        </>
      )}
    </section>
  );
}

function latest(...isoTimes: Array<string | null | undefined>): Date | null {
  const ms = isoTimes
    .filter((t): t is string => Boolean(t))
    .map((t) => Date.parse(t))
    .filter((n) => Number.isFinite(n));
  return ms.length ? new Date(Math.max(...ms)) : null;
}
