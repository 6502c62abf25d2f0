// The openclaw CLI as the controller uses it: list and approve, for channels and devices.
// Inputs are validated with the contract rules before any process starts; the CLI runs with an
// argument array and a 45 s timeout. One cap covers every CLI call (lists, approvals, --version):
// at most CLI_MAX_RUNNING at once (each costs ~0.4 GB), at most CLI_MAX_QUEUED waiting behind
// them; past that a call fails at once as 'busy' (the HTTP API answers 503 "try again").

import { z } from 'zod';
import { CLI_RUN_LIMIT_MS } from '../contracts/controller';
import { channelSchema, pairingCodeSchema, requestIdSchema } from '../contracts/pairing-input';
import { issueText } from '../platform/zod-issues';
import type { Env, ExecFn, ExecResult } from './exec';
import type { RawChannelRequest, RawDeviceRequest } from './openclaw-rules';

const CLI_TIMEOUT_MS = CLI_RUN_LIMIT_MS; // list takes 4–6 s, approve 5–8 s here; 45 s means it is stuck
const CLI_MAX_RUNNING = 2; // one CLI process peaks at ~450 MB RSS: two fit a 1 GB machine beside the gateway
const CLI_MAX_QUEUED = 8; // 8 waiting behind 2 running is ~30 s of work; more is a burst to refuse, not to queue

export type CliFailureKind =
  | 'invalid-input'
  | 'failed'
  | 'timeout'
  | 'aborted'
  | 'unparseable'
  | 'not-started'
  | 'busy';

/** A CLI call that did not produce a usable answer; `message` is safe to show (no secrets). */
export class OpenclawCliError extends Error {
  constructor(
    readonly kind: CliFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'OpenclawCliError';
  }
}

export interface OpenclawCliOptions {
  nodeBin: string;
  cliPath: string;
  stateDir: string;
  gatewayPort: number;
  gatewayToken: string;
  exec: ExecFn;
  /** Environment the CLI inherits (the controller's own secrets are removed from it). */
  baseEnv?: Env;
  timeoutMs?: number;
  maxRunning?: number;
  maxQueued?: number;
}

export interface OpenclawCli {
  listChannel(channel: string, signal?: AbortSignal): Promise<RawChannelRequest[]>;
  /** `notify`: openclaw tells the sender on their channel (`--notify`; exit 0 even when that fails). */
  approveChannel(channel: string, code: string, options?: { notify?: boolean }): Promise<string>;
  listDevices(signal?: AbortSignal): Promise<RawDeviceRequest[]>;
  approveDevice(requestId: string): Promise<string>;
  version(): Promise<string | null>;
  /**
   * A `channels …` command (add, remove, status): the gateway token goes in the environment, never
   * on the command line; every value in `secrets` is scrubbed from the error message.
   */
  channels(args: string[], opts: { timeoutMs: number; secrets: readonly string[] }): Promise<string>;
  /** Ends every CLI process still running (controller shutdown): none outlives the controller. */
  close(): void;
}

const ChannelListOutput = z.object({
  requests: z.array(
    z.object({
      id: z.string(),
      code: z.string(),
      createdAt: z.string(),
      lastSeenAt: z.string(),
      meta: z.record(z.string(), z.string()).optional(),
    }),
  ),
});

const DeviceListOutput = z.object({
  pending: z.array(z.looseObject({ requestId: z.string(), deviceId: z.string(), ts: z.number() })),
});

/** Variables the CLI must never see: the controller's own bearer token. */
const WITHHELD_ENV = ['CONTROLLER_TOKEN'];

export function createOpenclawCli(options: OpenclawCliOptions): OpenclawCli {
  const timeoutMs = options.timeoutMs ?? CLI_TIMEOUT_MS;
  const slots = createSemaphore(options.maxRunning ?? CLI_MAX_RUNNING, options.maxQueued ?? CLI_MAX_QUEUED);
  const env: Env = { ...(options.baseEnv ?? process.env) };
  for (const name of WITHHELD_ENV) delete env[name];
  Object.assign(env, {
    OPENCLAW_STATE_DIR: options.stateDir,
    OPENCLAW_GATEWAY_PORT: String(options.gatewayPort),
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  });

  const scrub = (text: string) => (options.gatewayToken ? text.split(options.gatewayToken).join('[redacted]') : text);

  const closing = new AbortController();

  type RunExtra = { env?: Env; timeoutMs?: number; secrets?: readonly string[] };

  async function run(args: string[], signal?: AbortSignal): Promise<ExecResult> {
    const what = `openclaw ${args[0]} ${args[1] ?? ''}`.trim();
    const slot = slots.run(() => runNow(args, what, signal));
    if (!slot)
      throw new OpenclawCliError(
        'busy',
        `The instance is busy with other openclaw commands (${slots.size()}); try again in a few seconds.`,
      );
    return slot;
  }

  async function runNow(args: string[], what: string, signal?: AbortSignal, extra: RunExtra = {}): Promise<ExecResult> {
    const both = signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
    const limitMs = extra.timeoutMs ?? timeoutMs;
    const result = await options.exec({
      file: options.nodeBin,
      args: [options.cliPath, ...args],
      env: extra.env ? { ...env, ...extra.env } : env,
      timeoutMs: limitMs,
      signal: both,
    });
    const scrubAll = (text: string) =>
      (extra.secrets ?? []).reduce((t, secret) => (secret ? t.split(secret).join('[redacted]') : t), scrub(text));
    if (result.spawnError) throw new OpenclawCliError('not-started', `${what} could not start: ${result.spawnError}`);
    if (result.aborted) throw new OpenclawCliError('aborted', `${what} was cancelled`);
    if (result.timedOut)
      throw new OpenclawCliError('timeout', `${what} timed out after ${Math.round(limitMs / 1000)} s`);
    if (result.code !== 0) {
      throw new OpenclawCliError('failed', `${what} failed: ${scrubAll(failureReason(result))}`);
    }
    return result;
  }

  const must = <T>(schema: z.ZodType<T>, value: unknown, what: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw new OpenclawCliError(
        'invalid-input',
        `${what}: ${parsed.error.issues[0] ? issueText(parsed.error.issues[0]) : 'invalid'}`,
      );
    return parsed.data;
  };

  const tokenArgs = () => (options.gatewayToken ? ['--token', options.gatewayToken] : []);

  return {
    async listChannel(channel, signal) {
      const valid = must(channelSchema, channel, 'channel');
      const result = await run(['pairing', 'list', valid, '--json'], signal);
      return parseJsonOutput(ChannelListOutput, result.stdout, 'pairing list').requests;
    },
    async approveChannel(channel, code, approveOptions = {}) {
      const validChannel = must(channelSchema, channel, 'channel');
      const validCode = must(pairingCodeSchema, code, 'code');
      const notify = approveOptions.notify ? ['--notify'] : [];
      const result = await run(['pairing', 'approve', validChannel, validCode, ...notify]);
      return firstLine(result.stdout) ?? `Approved ${validChannel} pairing code.`;
    },
    async listDevices(signal) {
      const result = await run(['devices', 'list', '--json', ...tokenArgs()], signal);
      return parseJsonOutput(DeviceListOutput, result.stdout, 'devices list').pending as RawDeviceRequest[];
    },
    async approveDevice(requestId) {
      const valid = must(requestIdSchema, requestId, 'requestId');
      const result = await run(['devices', 'approve', valid, ...tokenArgs()]);
      return scrub(firstLine(result.stdout) ?? `Approved device request ${valid}.`);
    },
    async version() {
      try {
        const result = await run(['--version']);
        return firstLine(result.stdout) ?? null;
      } catch {
        return null;
      }
    },
    async channels(args, opts) {
      const gatewayEnv = options.gatewayToken ? { OPENCLAW_GATEWAY_TOKEN: options.gatewayToken } : {};
      // outside the list/approve slots: the channel manager runs these one at a time, and an apply
      // must wait its turn rather than be refused as busy
      const what = `openclaw ${args[0]} ${args[1] ?? ''}`.trim();
      const extra = { env: gatewayEnv, timeoutMs: opts.timeoutMs, secrets: opts.secrets };
      const result = await runNow(args, what, undefined, extra);
      return result.stdout;
    },
    close() {
      closing.abort();
    },
  };
}

/** The CLI's own reason: the `Reason:` line it prints, else the last non-empty line of stderr/stdout. */
function failureReason(result: ExecResult): string {
  const text = `${result.stderr}\n${result.stdout}`;
  const reason = /Reason:\s*(.+)/.exec(text)?.[1];
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const jsonError = [result.stdout.trim(), ...lines].map(tryJsonErrorMessage).find(Boolean);
  const picked = reason ?? jsonError ?? lines.at(-1) ?? `exit code ${result.code ?? result.signal}`;
  return picked.length > 300 ? `${picked.slice(0, 300)}…` : picked;
}

function tryJsonErrorMessage(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean);
}

/** Parses the JSON document the CLI printed; tolerates log lines before it. */
export function parseJsonOutput<T>(schema: z.ZodType<T>, stdout: string, what: string): T {
  const candidates = [stdout.trim()];
  const brace = stdout.indexOf('\n{');
  if (brace >= 0) candidates.push(stdout.slice(brace + 1).trim());
  for (const candidate of candidates) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new OpenclawCliError('unparseable', `${what} printed JSON of an unexpected shape`);
  }
  throw new OpenclawCliError('unparseable', `${what} did not print JSON`);
}

interface Semaphore {
  /** Runs `task` when a slot is free; null (nothing started, nothing queued) when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T> | null;
  /** "N running, M waiting", for messages. */
  size(): string;
}

function createSemaphore(slots: number, maxQueued: number): Semaphore {
  const total = Math.max(1, slots);
  let free = total;
  const waiting: Array<() => void> = [];
  const runTask = async <T>(task: () => Promise<T>, queued: boolean): Promise<T> => {
    if (queued) await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    }
  };
  return {
    run(task) {
      if (free > 0) {
        free -= 1;
        return runTask(task, false);
      }
      if (waiting.length >= maxQueued) return null;
      return runTask(task, true);
    },
    size: () => `${total - free} running, ${waiting.length} waiting`,
  };
}
