'use client';
// People who messaged the assistant on a channel and wait for approval. openclaw drops a channel
// request 60 min after it was created, so the page shows how long each one has left.
import { type UseQueryResult, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { CHANNEL_PENDING_TTL_MS } from '@/contracts/openclaw-limits';
import { type ChannelList, channelRequestsQuery } from '../../_lib/queries';
import { api } from '../../_lib/trpc';
import { ActionButton, useAction } from '../action';
import { AgeAndExpiry, ApproveOutcome, ListStates, titleCase, tookText } from './request-parts';

type ChannelRequest = ChannelList['requests'][number];

const createdAt = (r: ChannelRequest): Date | null => (r.createdAt ? new Date(r.createdAt) : null);

function sender(r: ChannelRequest): string {
  const m = r.meta ?? {};
  const name = [m.firstName, m.lastName].filter(Boolean).join(' ') || m.name || m.displayName;
  const handle = m.username ? `@${m.username}` : null;
  return [name, handle].filter(Boolean).join(' ') || `User ${r.id}`;
}

export function ChannelRequests({ query, now }: { query: UseQueryResult<ChannelList>; now: Date }) {
  // Who was approved, when the click happened, and how long until the list no longer showed them.
  const [approved, setApproved] = useState<{ who: string; clickedAt: number; ms?: number } | null>(null);
  const approvedDone = () =>
    setApproved((a) => (a && a.ms === undefined ? { ...a, ms: performance.now() - a.clickedAt } : a));
  const qc = useQueryClient();
  const approve = useAction(
    async (r: ChannelRequest) => {
      const out = await api.approveChannelPairingRequest.mutate({ channel: r.channel, code: r.code });
      // Read the list now (not a long-poll: after a refusal nothing changes and it would wait).
      await qc.cancelQueries({ queryKey: channelRequestsQuery.queryKey });
      qc.setQueryData(channelRequestsQuery.queryKey, await api.listChannelPairingRequests.query({}));
      return out;
    },
    { onDone: approvedDone },
  );
  const requests = [...(query.data?.requests ?? [])].sort(
    (a, b) => (createdAt(b)?.getTime() ?? 0) - (createdAt(a)?.getTime() ?? 0),
  );

  return (
    <section className="card" aria-labelledby="channel-requests-title">
      <h2 id="channel-requests-title">People waiting on your channels</h2>
      <ApproveOutcome
        m={approve}
        okText={
          approved
            ? `Approved ${approved.who}${tookText(approved.ms)}. They can talk to your assistant now.`
            : 'Approved.'
        }
      />
      <ListStates
        query={query}
        count={requests.length}
        what="channel requests"
        emptyText="No one is waiting. New requests show up here by themselves."
        checking={query.data?.lastUpdated === null && query.data.source !== 'not_running'}
      >
        <ul className="request-list" aria-label="Channel pairing requests">
          {requests.map((r) => {
            const who = sender(r);
            const at = createdAt(r);
            const expired = at !== null && at.getTime() + CHANNEL_PENDING_TTL_MS <= now.getTime();
            const busy =
              approve.isPending && approve.variables?.code === r.code && approve.variables.channel === r.channel;
            return (
              <li key={`${r.channel}:${r.code}`} className="request" data-testid="channel-request" data-code={r.code}>
                <div className="request-main">
                  <p className="request-title">
                    <span className="badge badge-neutral">{titleCase(r.channel)}</span> <strong>{who}</strong>
                  </p>
                  <p className="request-meta">
                    Code <code>{r.code}</code> · <AgeAndExpiry at={at} ttlMs={CHANNEL_PENDING_TTL_MS} now={now} />
                  </p>
                </div>
                <ActionButton
                  small
                  onClick={() => {
                    setApproved({ who: `${who} on ${titleCase(r.channel)}`, clickedAt: performance.now() });
                    approve.mutate(r);
                  }}
                  pending={busy}
                  pendingLabel="Approving…"
                  disabled={expired || approve.isPending}
                  ariaLabel={`Approve ${who} on ${titleCase(r.channel)} (code ${r.code})`}
                >
                  Approve
                </ActionButton>
              </li>
            );
          })}
        </ul>
      </ListStates>
    </section>
  );
}
