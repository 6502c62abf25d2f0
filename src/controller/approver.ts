// How an approval is carried out: through the pairing worker over the gateway's own protocol when
// it is connected (milliseconds), else — or when that path fails in any way — through the openclaw
// CLI (seconds). Both ask openclaw to tell the approved sender (notify). A channel approval answers
// as soon as it is committed (code gone, sender on the allow-list, read from the state database):
// the sender's notification, a network call to the chat service, finishes in the background.
import type { ApproveChannelBody, ApproveDeviceBody, ChannelPairingRequest } from '../contracts/controller';
import type { Clock } from './clock';
import type { Logger } from './log';
import type { OpenclawCli } from './openclaw-cli';
import type { PairingWorkerClient } from './pairing-worker-client';
import type { ChannelApproveResult, DeviceApproveResult } from './pairing-worker-protocol';

/** The gateway answers an approval in ~5–100 ms; past this the CLI is tried instead. */
export const FAST_APPROVE_TIMEOUT_MS = 5_000;
/** How often the state database is checked for the committed approval while the gateway notifies. */
const COMMIT_POLL_MS = 20;

export type ApprovePath = 'gateway' | 'cli';
export interface Approval {
  message: string;
  path: ApprovePath;
}

export interface ApproverDeps {
  worker: PairingWorkerClient | null;
  cli: OpenclawCli;
  /** The pending channel request with this code, read now (state database) or from the cache. */
  findChannelRequest(channel: string, code: string): ChannelPairingRequest | undefined;
  /** Whether the approval is committed; null when the state database cannot tell. */
  channelApproved(channel: string, accountId: string, code: string, senderId: string): boolean | null;
  clock: Clock;
  log: Logger;
  fastTimeoutMs?: number;
}

export interface Approver {
  approveChannel(input: ApproveChannelBody): Promise<Approval>;
  approveDevice(input: ApproveDeviceBody): Promise<Approval>;
}

export function createApprover(deps: ApproverDeps): Approver {
  const timeoutMs = deps.fastTimeoutMs ?? FAST_APPROVE_TIMEOUT_MS;
  const { log } = deps;

  /** Resolves when the state database shows the approval committed; never when it cannot tell. */
  function committed(channel: string, accountId: string, code: string, senderId: string, until: Promise<unknown>) {
    let done = false;
    const finish = () => {
      done = true;
    };
    until.then(finish, finish); // settles either way; the caller handles the rejection itself
    return new Promise<true>((resolve) => {
      const check = () => {
        if (done) return;
        let state: boolean | null = null;
        try {
          state = deps.channelApproved(channel, accountId, code, senderId);
        } catch {
          state = null;
        }
        if (state === null) return; // cannot tell: the gateway's own answer decides
        if (state) return resolve(true);
        deps.clock.setTimeout(check, COMMIT_POLL_MS);
      };
      deps.clock.setTimeout(check, COMMIT_POLL_MS);
    });
  }

  async function fastChannel(input: ApproveChannelBody): Promise<Approval | null> {
    const request = deps.findChannelRequest(input.channel, input.code);
    if (deps.worker?.status !== 'connected' || !request?.createdAt) return null;
    const accountId = request.meta?.accountId ?? 'default';
    const senderId = request.meta?.senderId ?? request.id;
    const started = deps.clock.now();
    const rpc = deps.worker.call(
      'approve-channel',
      { channel: input.channel, accountId, senderId, createdAt: request.createdAt, notify: true },
      timeoutMs,
    ) as Promise<ChannelApproveResult>;
    const approvedMessage = `Approved ${input.channel} sender ${senderId}.`;
    // The gateway answers after notifying the sender; the approval itself is committed before that.
    rpc.then(
      (result) => {
        if ('notFound' in result) return;
        log.info(
          {
            channel: input.channel,
            notification: result.notification,
            commandOwner: result.commandOwnerBootstrap,
            ms: deps.clock.now() - started,
          },
          'channel approval finished',
        );
      },
      () => {},
    );
    const first = await Promise.race([
      rpc.then((result) => ({ result }) as const),
      committed(input.channel, accountId, input.code, senderId, rpc).then(() => ({ committed: true }) as const),
    ]).catch((error: unknown) => ({ error }) as const);
    if ('committed' in first) return { message: approvedMessage, path: 'gateway' };
    if ('result' in first) {
      if ('notFound' in first.result) {
        log.info({ channel: input.channel }, 'the gateway does not list this channel request; using the CLI');
        return null;
      }
      return { message: approvedMessage, path: 'gateway' };
    }
    // The call failed or timed out: it may still have been applied before failing.
    if (deps.channelApproved(input.channel, accountId, input.code, senderId)) {
      return { message: approvedMessage, path: 'gateway' };
    }
    log.warn({ channel: input.channel, error: first.error }, 'gateway approval failed; using the CLI');
    return null;
  }

  async function fastDevice(input: ApproveDeviceBody): Promise<Approval | null> {
    if (deps.worker?.status !== 'connected') return null;
    try {
      const result = (await deps.worker.call('approve-device', { requestId: input.requestId }, timeoutMs)) as
        | DeviceApproveResult
        | undefined;
      const device = result?.deviceId ? `${result.deviceId} ` : '';
      return { message: `Approved ${device}(${input.requestId})`, path: 'gateway' };
    } catch (error) {
      log.warn({ error }, 'gateway device approval failed; using the CLI');
      return null;
    }
  }

  return {
    async approveChannel(input) {
      const request = deps.findChannelRequest(input.channel, input.code);
      const fast = await fastChannel(input);
      if (fast) return fast;
      try {
        const message = await deps.cli.approveChannel(input.channel, input.code, { notify: true });
        return { message, path: 'cli' };
      } catch (error) {
        // A gateway call that timed out may have landed meanwhile: then the CLI finds nothing to
        // approve, and the approval did happen.
        const senderId = request?.meta?.senderId ?? request?.id;
        const accountId = request?.meta?.accountId ?? 'default';
        if (senderId && deps.channelApproved(input.channel, accountId, input.code, senderId)) {
          return { message: `Approved ${input.channel} sender ${senderId}.`, path: 'gateway' };
        }
        throw error;
      }
    },
    async approveDevice(input) {
      const fast = await fastDevice(input);
      if (fast) return fast;
      return { message: await deps.cli.approveDevice(input.requestId), path: 'cli' };
    },
  };
}
