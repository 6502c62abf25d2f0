// Every query the dashboard makes, declared once: its cache key and the procedure that answers it.
// Panels spread these into useQuery and actions invalidate by `.queryKey`, so a key is never typed
// twice. (tRPC's own TanStack integration would derive the keys, but its latest release is pinned to
// an older @trpc/client than ours.)
import { queryOptions } from '@tanstack/react-query';
import { api } from './trpc';

export type BillingStatus = Awaited<ReturnType<typeof api.getBillingStatus.query>>;
export type InstanceStatusView = Awaited<ReturnType<typeof api.getInstanceStatus.query>>;
export type ChannelList = Awaited<ReturnType<typeof api.listChannelPairingRequests.query>>;
export type DeviceList = Awaited<ReturnType<typeof api.listDevicePairingRequests.query>>;

export const billingQuery = queryOptions({
  queryKey: ['billing'],
  queryFn: (): Promise<BillingStatus> => api.getBillingStatus.query(),
});

export const instanceQuery = queryOptions({
  queryKey: ['instance'],
  queryFn: (): Promise<InstanceStatusView> => api.getInstanceStatus.query(),
});

export const channelRequestsQuery = queryOptions({
  queryKey: ['pairing', 'channels'],
  queryFn: (): Promise<ChannelList> => api.listChannelPairingRequests.query({}),
});

export const deviceRequestsQuery = queryOptions({
  queryKey: ['pairing', 'devices'],
  queryFn: (): Promise<DeviceList> => api.listDevicePairingRequests.query({}),
});
