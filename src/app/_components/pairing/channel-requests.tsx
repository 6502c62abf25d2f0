'use client';
// People who messaged the assistant on a channel and wait for approval. openclaw drops a channel
// request 60 min after it was created, so the page shows how long each one has left.
import type { UseQueryResult } from '@tanstack/react-query';
import { CHANNEL_PENDING_TTL_MS } from '@/contracts/openclaw-limits';
import { type ChannelList, channelRequestsQuery } from '../../_lib/queries';
import { api } from '../../_lib/trpc';
import { newestFirst, RequestList, RequestRow, titleCase, useApprove } from './request-parts';

type ChannelRequest = ChannelList['requests'][number];

const createdAt = (r: ChannelRequest): Date | null => (r.createdAt ? new Date(r.createdAt) : null);

const keyOf = (r: ChannelRequest) => `${r.channel}:${r.code}`;

function sender(r: ChannelRequest): string {
  const m = r.meta ?? {};
  const name = [m.firstName, m.lastName].filter(Boolean).join(' ') || m.name || m.displayName;
  const handle = m.username ? `@${m.username}` : null;
  return [name, handle].filter(Boolean).join(' ') || `User ${r.id}`;
}

export function ChannelRequests({ query, now }: { query: UseQueryResult<ChannelList>; now: Date }) {
  const approver = useApprove({
    approve: (r: ChannelRequest) => api.approveChannelPairingRequest.mutate({ channel: r.channel, code: r.code }),
    queryKey: channelRequestsQuery.queryKey,
    readList: () => api.listChannelPairingRequests.query({}),
    keyOf,
  });

  return (
    <RequestList
      titleId="channel-requests-title"
      title="People waiting on your channels"
      query={query}
      approver={approver}
      approvedThen="They can talk to your assistant now."
      what="channel requests"
      emptyText="No one is waiting. New requests show up here by themselves."
      listLabel="Channel pairing requests"
    >
      {newestFirst(query.data?.requests ?? [], createdAt).map((r) => {
        const who = sender(r);
        const channel = titleCase(r.channel);
        return (
          <RequestRow
            key={keyOf(r)}
            request={r}
            approver={approver}
            who={`${who} on ${channel}`}
            ariaLabel={`Approve ${who} on ${channel} (code ${r.code})`}
            testId="channel-request"
            data={{ 'data-code': r.code }}
            title={
              <>
                <span className="badge badge-neutral">{channel}</span> <strong>{who}</strong>
              </>
            }
            meta={
              <>
                Code <code>{r.code}</code> ·{' '}
              </>
            }
            at={createdAt(r)}
            ttlMs={CHANNEL_PENDING_TTL_MS}
            now={now}
          />
        );
      })}
    </RequestList>
  );
}
