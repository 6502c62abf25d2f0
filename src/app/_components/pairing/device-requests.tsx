'use client';
// Devices (apps, nodes) asking to connect to the gateway. openclaw drops a device request 5 min
// after it asked, so these need a quick decision.
import type { UseQueryResult } from '@tanstack/react-query';
import { DEVICE_PENDING_TTL_MS } from '@/contracts/openclaw-limits';
import { type DeviceList, deviceRequestsQuery } from '../../_lib/queries';
import { api } from '../../_lib/trpc';
import { newestFirst, RequestList, RequestRow, useApprove } from './request-parts';

type DeviceRequest = DeviceList['requests'][number];

const askedAt = (r: DeviceRequest): Date | null => (typeof r.ts === 'number' ? new Date(r.ts) : null);

function deviceName(r: DeviceRequest): string {
  return r.displayName || r.clientId || `Device ${r.deviceId.slice(0, 8)}`;
}

export function DeviceRequests({ query, now }: { query: UseQueryResult<DeviceList>; now: Date }) {
  const approver = useApprove({
    approve: (r: DeviceRequest) => api.approveDevicePairingRequest.mutate({ requestId: r.requestId }),
    queryKey: deviceRequestsQuery.queryKey,
    readList: () => api.listDevicePairingRequests.query({}),
    keyOf: (r) => r.requestId,
  });

  return (
    <RequestList
      titleId="device-requests-title"
      title="Devices waiting to connect"
      query={query}
      approver={approver}
      approvedThen="It can connect now."
      what="device requests"
      emptyText="No devices are waiting. Device requests expire after 5 minutes."
      listLabel="Device pairing requests"
    >
      {newestFirst(query.data?.requests ?? [], askedAt).map((r) => {
        const name = deviceName(r);
        const details = [r.platform, r.role].filter(Boolean).join(' · ');
        return (
          <RequestRow
            key={r.requestId}
            request={r}
            approver={approver}
            who={name}
            ariaLabel={`Approve device ${name}`}
            testId="device-request"
            data={{ 'data-request-id': r.requestId }}
            title={
              <>
                <strong>{name}</strong> {details ? <span className="muted">({details})</span> : null}
              </>
            }
            at={askedAt(r)}
            ttlMs={DEVICE_PENDING_TTL_MS}
            now={now}
          />
        );
      })}
    </RequestList>
  );
}
