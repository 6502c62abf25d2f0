// The pairing worker: a long-lived Node 24 process beside the controller (the same bundle, started
// with --pairing-worker). It loads openclaw's own gateway client once (the exported
// `openclaw/plugin-sdk/gateway-runtime` GatewayClient), keeps one authenticated connection to the
// supervised gateway, and approves over the gateway's own protocol — `channels.pairing.approve` and
// `device.pair.approve`, the methods openclaw's control UI and `openclaw devices approve` use — in
// milliseconds instead of a new CLI process (seconds, ~0.4 GB) per approval. It never touches
// openclaw's database itself. Requests and answers travel over the Node IPC channel.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { WorkerReply, WorkerRequest } from './pairing-worker-protocol';

/** Scopes the controller needs: pairing, plus admin for the command-owner bootstrap the CLI also does. */
const SCOPES = ['operator.admin', 'operator.pairing'];
const GATEWAY_REQUEST_TIMEOUT_MS = 30_000; // a notify to a slow chat API can take this long; the controller has its own budget

interface GatewayClientLike {
  start(): void;
  stopAndWait(opts?: { timeoutMs?: number }): Promise<void>;
  request<T>(method: string, params?: unknown): Promise<T>;
}
type GatewayClientCtor = new (opts: Record<string, unknown>) => GatewayClientLike;

interface ChannelListAnswer {
  requests: Array<{ requestId: string; senderId: string; createdAt: string; accountId: string }>;
}
interface ChannelApproveAnswer {
  senderId: string;
  notification: string;
  commandOwnerBootstrap: string;
}
interface DeviceApproveAnswer {
  requestId: string;
  device?: { deviceId?: string };
}

const send = (message: WorkerReply) => {
  if (process.connected) process.send?.(message);
};

export async function runPairingWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const cliPath = env.OPENCLAW_CLI ?? '';
  const port = env.OPENCLAW_GATEWAY_PORT ?? '';
  const token = env.OPENCLAW_GATEWAY_TOKEN ?? '';
  process.on('disconnect', () => process.exit(0)); // the controller is gone: so are we
  let GatewayClient: GatewayClientCtor;
  try {
    // openclaw resolves its own exported subpath (package self-reference from its CLI entry).
    const entry = createRequire(cliPath).resolve('openclaw/plugin-sdk/gateway-runtime');
    ({ GatewayClient } = (await import(pathToFileURL(entry).href)) as { GatewayClient: GatewayClientCtor });
  } catch (error) {
    send({ type: 'fatal', message: `cannot load openclaw's gateway client: ${messageOf(error)}` });
    process.exit(1);
  }

  const client = new GatewayClient({
    url: `ws://127.0.0.1:${port}`,
    token,
    scopes: SCOPES,
    clientName: 'gateway-client',
    clientDisplayName: 'kiloclaw controller',
    mode: 'backend',
    deviceIdentity: null, // shared-token auth: no device identity files written into openclaw's state
    requestTimeoutMs: GATEWAY_REQUEST_TIMEOUT_MS,
    onHelloOk: () => send({ type: 'connected' }),
    onClose: (code: number, reason: string) => send({ type: 'disconnected', reason: `${code} ${reason}`.trim() }),
  });
  client.start();

  process.on('message', (raw: unknown) => {
    const request = raw as WorkerRequest;
    if (request?.type !== 'call') return;
    void handle(client, request).then(
      (result) => send({ type: 'result', id: request.id, ok: true, result }),
      (error: unknown) =>
        send({
          type: 'result',
          id: request.id,
          ok: false,
          error: messageOf(error),
          gatewayCode: (error as { gatewayCode?: string })?.gatewayCode,
        }),
    );
  });
  process.on('SIGTERM', () => {
    void client.stopAndWait({ timeoutMs: 2_000 }).finally(() => process.exit(0));
  });
  send({ type: 'loaded' });
}

async function handle(client: GatewayClientLike, request: WorkerRequest & { type: 'call' }): Promise<unknown> {
  if (request.op === 'approve-device') {
    const answer = await client.request<DeviceApproveAnswer>('device.pair.approve', {
      requestId: request.params.requestId,
    });
    return { deviceId: answer.device?.deviceId ?? null };
  }
  const { channel, accountId, senderId, createdAt, notify } = request.params;
  // The gateway addresses a channel request by an opaque id (never by its code): find it by sender and time.
  const list = await client.request<ChannelListAnswer>('channels.pairing.list', { channel, accountId });
  const match = list.requests.find((r) => r.senderId === senderId && r.createdAt === createdAt);
  if (!match) return { notFound: true };
  const approved = await client.request<ChannelApproveAnswer>('channels.pairing.approve', {
    channel,
    accountId: match.accountId,
    requestId: match.requestId,
    notify,
    // `openclaw pairing approve` makes the first approved sender the command owner; so do we.
    bootstrapCommandOwner: true,
  });
  return {
    senderId: approved.senderId,
    notification: approved.notification,
    commandOwnerBootstrap: approved.commandOwnerBootstrap,
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
