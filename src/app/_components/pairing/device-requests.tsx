'use client';
// Devices (apps, nodes) asking to connect to the gateway. openclaw drops a device request 5 min
// after it asked, so these need a quick decision.
import { type UseQueryResult, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { DEVICE_PENDING_TTL_MS } from '@/contracts/openclaw-limits';
import { type DeviceList, deviceRequestsQuery } from '../../_lib/queries';
import { api } from '../../_lib/trpc';
import { ActionButton, useAction } from '../action';
import { AgeAndExpiry, ApproveOutcome, ListStates, tookText } from './request-parts';

type DeviceRequest = DeviceList['requests'][number];

const askedAt = (r: DeviceRequest): Date | null => (typeof r.ts === 'number' ? new Date(r.ts) : null);

function deviceName(r: DeviceRequest): string {
  return r.displayName || r.clientId || `Device ${r.deviceId.slice(0, 8)}`;
}

export function DeviceRequests({ query, now }: { query: UseQueryResult<DeviceList>; now: Date }) {
  // Who was approved, when the click happened, and how long until the list no longer showed them.
  const [approved, setApproved] = useState<{ who: string; clickedAt: number; ms?: number } | null>(null);
  const approvedDone = () =>
    setApproved((a) => (a && a.ms === undefined ? { ...a, ms: performance.now() - a.clickedAt } : a));
  const qc = useQueryClient();
  const approve = useAction(
    async (r: DeviceRequest) => {
      const out = await api.approveDevicePairingRequest.mutate({ requestId: r.requestId });
      // Read the list now (not a long-poll: after a refusal nothing changes and it would wait).
      await qc.cancelQueries({ queryKey: deviceRequestsQuery.queryKey });
      qc.setQueryData(deviceRequestsQuery.queryKey, await api.listDevicePairingRequests.query({}));
      return out;
    },
    { onDone: approvedDone },
  );
  const requests = [...(query.data?.requests ?? [])].sort(
    (a, b) => (askedAt(b)?.getTime() ?? 0) - (askedAt(a)?.getTime() ?? 0),
  );

  return (
    <section className="card" aria-labelledby="device-requests-title">
      <h2 id="device-requests-title">Devices waiting to connect</h2>
      <ApproveOutcome
        m={approve}
        okText={approved ? `Approved ${approved.who}${tookText(approved.ms)}. It can connect now.` : 'Approved.'}
      />
      <ListStates
        query={query}
        count={requests.length}
        what="device requests"
        emptyText="No devices are waiting. Device requests expire after 5 minutes."
        checking={query.data?.lastUpdated === null && query.data.source !== 'not_running'}
      >
        <ul className="request-list" aria-label="Device pairing requests">
          {requests.map((r) => {
            const name = deviceName(r);
            const at = askedAt(r);
            const expired = at !== null && at.getTime() + DEVICE_PENDING_TTL_MS <= now.getTime();
            const busy = approve.isPending && approve.variables?.requestId === r.requestId;
            const details = [r.platform, r.role].filter(Boolean).join(' · ');
            return (
              <li key={r.requestId} className="request" data-testid="device-request" data-request-id={r.requestId}>
                <div className="request-main">
                  <p className="request-title">
                    <strong>{name}</strong> {details ? <span className="muted">({details})</span> : null}
                  </p>
                  <p className="request-meta">
                    <AgeAndExpiry at={at} ttlMs={DEVICE_PENDING_TTL_MS} now={now} />
                  </p>
                </div>
                <ActionButton
                  small
                  onClick={() => {
                    setApproved({ who: name, clickedAt: performance.now() });
                    approve.mutate(r);
                  }}
                  pending={busy}
                  pendingLabel="Approving…"
                  disabled={expired || approve.isPending}
                  ariaLabel={`Approve device ${name}`}
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
