'use client';
// The pairing page: people (channel requests) and devices waiting for the owner's approval, newest
// first, with how old each is and when it expires. Lists poll while the page is open; "Refresh"
// asks the instance to re-read openclaw's state instead of answering from its cache.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { channelRequestsQuery, deviceRequestsQuery, instanceQuery } from '../../_lib/queries';
import { formatAge } from '../../_lib/time';
import { api } from '../../_lib/trpc';
import { useNow } from '../../_lib/use-now';
import { ActionButton, ActionResult, useAction } from '../action';
import { ErrorNotice } from '../error-notice';
import { Notice } from '../notice';
import { ChannelRequests } from './channel-requests';
import { DeviceRequests } from './device-requests';

const LIST_POLL_MS = 5_000; // pending requests expire in minutes; a few seconds of lag is fine

export function PairingPanel() {
  const qc = useQueryClient();
  const now = useNow(5_000);
  const instance = useQuery({
    ...instanceQuery,
    refetchInterval: 15_000,
  });
  const running = instance.data?.status === 'running';
  const channels = useQuery({
    ...channelRequestsQuery,
    enabled: running,
    refetchInterval: LIST_POLL_MS,
  });
  const devices = useQuery({
    ...deviceRequestsQuery,
    enabled: running,
    refetchInterval: LIST_POLL_MS,
  });
  const refresh = useAction(async () => {
    const [c, d] = await Promise.all([
      api.listChannelPairingRequests.query({ refresh: true }),
      api.listDevicePairingRequests.query({ refresh: true }),
    ]);
    qc.setQueryData(channelRequestsQuery.queryKey, c);
    qc.setQueryData(deviceRequestsQuery.queryKey, d);
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

  if (instance.isPending) {
    return (
      <section aria-labelledby="pairing-title">
        {header}
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading…
        </p>
      </section>
    );
  }
  if (instance.isError) {
    return (
      <section aria-labelledby="pairing-title">
        {header}
        <ErrorNotice
          error={instance.error}
          title="We could not load your instance"
          onRetry={() => void instance.refetch()}
        />
      </section>
    );
  }

  const lastUpdated = latest(channels.data?.lastUpdated, devices.data?.lastUpdated);
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
          {lastUpdated ? <p className="muted small">Last checked {formatAge(lastUpdated, now)}.</p> : null}
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
