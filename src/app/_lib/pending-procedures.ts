// TEMPORARY: the shapes of instance and pairing procedures that are being written in parallel
// (PAIRING.md §2–4). `api` in trpc.ts only falls back to these for names the real router does not
// have yet, so the real types win as soon as the procedures land; then this file is deleted.
import type { ApproveResponse, ChannelPairingListResponse, DevicePairingListResponse } from '@/contracts/controller';

type Mutation<I, O> = { mutate: (input: I) => Promise<O> };
type Query<I, O> = { query: (input: I) => Promise<O> };

export type PendingProcedures = {
  startInstance: Mutation<void, unknown>;
  stopInstance: Mutation<void, unknown>;
  destroyInstance: Mutation<{ confirm: true }, unknown>;
  listChannelPairingRequests: Query<{ refresh?: boolean }, ChannelPairingListResponse>;
  listDevicePairingRequests: Query<{ refresh?: boolean }, DevicePairingListResponse>;
  approveChannelPairingRequest: Mutation<{ channel: string; code: string }, ApproveResponse>;
  approveDevicePairingRequest: Mutation<{ requestId: string }, ApproveResponse>;
};
