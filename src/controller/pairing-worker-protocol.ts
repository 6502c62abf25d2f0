// Messages between the controller and its pairing worker (Node IPC, JSON serialisation).

interface ApproveChannelCall {
  channel: string;
  accountId: string;
  senderId: string;
  createdAt: string;
  notify: boolean;
}

export type WorkerRequest =
  | { type: 'call'; id: number; op: 'approve-channel'; params: ApproveChannelCall }
  | { type: 'call'; id: number; op: 'approve-device'; params: { requestId: string } };

export type WorkerReply =
  | { type: 'loaded' }
  | { type: 'connected' }
  | { type: 'disconnected'; reason: string }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; ok: true; result: unknown }
  | { type: 'result'; id: number; ok: false; error: string; gatewayCode?: string };

export type ChannelApproveResult =
  | { notFound: true }
  | { senderId: string; notification: string; commandOwnerBootstrap: string };

export interface DeviceApproveResult {
  deviceId: string | null;
}
