// How an approval is carried out: through the pairing worker over the gateway's own protocol when
// it is connected (milliseconds), else — or when that path fails in any way — through the openclaw
// CLI (seconds). Both ask openclaw to tell the approved sender (notify). A channel approval answers
// as soon as it is committed (code gone, sender on the allow-list, read from the state database):
// the sender's notification, a network call to the chat service, finishes in the background.
import type { ApproveChannelBody, ApproveDeviceBody, ChannelPairingRequest } from '../contracts/controller';
import type { Clock } from './clock';
import type { Logger } from './log';
import type { OpenclawCli } from './openclaw-cli';
import { type PairingWorkerClient, WorkerUnavailable } from './pairing-worker-client';
import type { ChannelApproveResult, DeviceApproveResult } from './pairing-worker-protocol';

/** The gateway answers an approval in ~5–100 ms; past this the CLI is tried instead. */
const FAST_APPROVE_TIMEOUT_MS = 5_000;
/**
 * An approval that finds the worker starting (the demand that started it may be this very approval)
 * waits this long for it to connect before it takes the CLI: measured by bench:pairing on a shared
 * 2-core machine at load ~10, a cold worker connected in 3.2 s where a CLI approval took 11.9 s
 * (5–8 s idle), so waiting is the faster way; one that has not connected by then takes the CLI.
 */
const WORKER_START_WAIT_MS = 4_000;
/** How often the state database is checked for the committed approval while the gateway notifies. */
const COMMIT_POLL_MS = 20;

type ApprovePath = 'gateway' | 'cli';
interface Approval {
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
  workerStartWaitMs?: number;
}

export interface Approver {
  approveChannel(input: ApproveChannelBody): Promise<Approval>;
  approveDevice(input: ApproveDeviceBody): Promise<Approval>;
}

export function createApprover(deps: ApproverDeps): Approver {
  const timeoutMs = deps.fastTimeoutMs ?? FAST_APPROVE_TIMEOUT_MS;
  const startWaitMs = deps.workerStartWaitMs ?? WORKER_START_WAIT_MS;
  const { log } = deps;

  /** Whether the worker can take a call now, waiting briefly for one that is starting. */
  async function workerReady(): Promise<boolean> {
    const status = deps.worker?.status;
    if (status === 'connected') return true;
    if (status !== 'starting' || !deps.worker) return false;
    return deps.worker.whenConnected(startWaitMs);
  }

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

  /** The approval, or why not: `uncertain` when our own gateway call may still have landed. */
  type FastOutcome = Approval | { fallback: true; uncertain: boolean };
  const fallback = (uncertain: boolean): FastOutcome => ({ fallback: true, uncertain });

  async function fastChannel(input: ApproveChannelBody, request?: ChannelPairingRequest): Promise<FastOutcome> {
    if (!request?.createdAt || !deps.worker || !(await workerReady())) return fallback(false);
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
        return fallback(false);
      }
      return { message: approvedMessage, path: 'gateway' };
    }
    // No answer (timeout, worker gone): the call may still have been applied. A refusal is definite.
    const uncertain = first.error instanceof WorkerUnavailable;
    if (uncertain && deps.channelApproved(input.channel, accountId, input.code, senderId)) {
      return { message: approvedMessage, path: 'gateway' };
    }
    log.warn({ channel: input.channel, error: first.error }, 'gateway approval failed; using the CLI');
    return fallback(uncertain);
  }

  async function approveChannelNow(input: ApproveChannelBody): Promise<Approval> {
    const request = deps.findChannelRequest(input.channel, input.code);
    const fast = await fastChannel(input, request);
    if (!('fallback' in fast)) return fast;
    try {
      const message = await deps.cli.approveChannel(input.channel, input.code, { notify: true });
      return { message, path: 'cli' };
    } catch (error) {
      // Our gateway call that timed out may have landed meanwhile: the CLI then finds nothing to
      // approve, and the approval did happen.
      const senderId = request?.meta?.senderId ?? request?.id;
      const accountId = request?.meta?.accountId ?? 'default';
      if (fast.uncertain && senderId && deps.channelApproved(input.channel, accountId, input.code, senderId)) {
        return { message: `Approved ${input.channel} sender ${senderId}.`, path: 'gateway' };
      }
      throw error;
    }
  }

  // Approvals of the same code run one after the other: of two at once (a double click, two tabs)
  // exactly one approves, the other finds nothing pending, as with the CLI alone.
  const inProgress = new Map<string, Promise<unknown>>();
  async function oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
    const before = inProgress.get(key) ?? Promise.resolve();
    const mine = before.then(run, run);
    const settled = mine.then(
      () => {},
      () => {},
    );
    inProgress.set(key, settled);
    void settled.then(() => {
      if (inProgress.get(key) === settled) inProgress.delete(key);
    });
    return mine;
  }

  async function fastDevice(input: ApproveDeviceBody): Promise<Approval | null> {
    if (!deps.worker || !(await workerReady())) return null;
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
    approveChannel: (input) =>
      oneAtATime(`channel:${input.channel}:${input.code.toUpperCase()}`, () => approveChannelNow(input)),
    approveDevice: (input) =>
      oneAtATime(`device:${input.requestId.toLowerCase()}`, async () => {
        const fast = await fastDevice(input);
        if (fast) return fast;
        return { message: await deps.cli.approveDevice(input.requestId), path: 'cli' as const };
      }),
  };
}
