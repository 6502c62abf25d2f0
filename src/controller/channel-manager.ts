// Applies the instance's desired chat channels to openclaw with its own CLI (`channels add` /
// `channels remove --delete`), reports their status (`channels status --probe --json`), and, on
// development machines, makes openclaw record a pairing request from a simulated sender.
// Applies run one at a time; an unchanged channel costs no CLI run, so the app may re-send the whole
// list on every start and every reconcile.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CHANNEL_KINDS, type ChannelConnection, type ChannelKind } from '../contracts/channel-input';
import type { ApplyChannelsResponse, ChannelStatusResponse, TestMessageResponse } from '../contracts/controller';
import {
  addArgs,
  type ChannelStep,
  type CurrentChannel,
  changed,
  planChannels,
  removeArgs,
  summary,
} from './channel-plan';
import { type ChannelSecrets, isEnvBacked } from './channel-secrets';
import { statusesFromProbe } from './channel-status';
import { parseLenientJson } from './channels-config';
import type { Clock } from './clock';
import type { Logger } from './log';
import { type OpenclawCli, OpenclawCliError, parseJsonOutput } from './openclaw-cli';
import type { SimulatedSender } from './simulated-sender';

const CHANNEL_CLI_TIMEOUT_MS = 120_000; // `channels add` took 7–25 s here, 40 s for a remove under load
const STATUS_TIMEOUT_MS = 60_000; // `--probe` waits on each channel's own network check
const STATUS_FRESH_MS = 15_000; // a probe takes seconds; dashboard polls within this reuse the last one

/** A failure the caller can show; the message names no token. */
export class ChannelApplyError extends Error {
  constructor(
    readonly status: 409 | 500,
    message: string,
  ) {
    super(message);
    this.name = 'ChannelApplyError';
  }
}

export interface ChannelManagerDeps {
  cli: Pick<OpenclawCli, 'channels'>;
  secrets: ChannelSecrets;
  configPath: string;
  /** Resolves once the gateway runs: a CLI run during its first start can break its migration. */
  ready: () => Promise<void>;
  /** Restarts the gateway so it reads the state dir's `.env` again (Discord, Slack). */
  restartGateway: () => Promise<void>;
  /** Dev machines only (CONTROLLER_DEV_TOOLS=on); null refuses test messages. */
  simulatedSender: SimulatedSender | null;
  clock: Clock;
  log: Logger;
  readConfig?: (path: string) => string;
}

export type ChannelManager = ReturnType<typeof createChannelManager>;

type Entry = Record<string, unknown>;

export function createChannelManager(deps: ChannelManagerDeps) {
  const readConfig = deps.readConfig ?? ((path: string) => readFileSync(path, 'utf8'));
  let queue: Promise<unknown> = Promise.resolve();
  let lastStatus: { atMs: number; value: ChannelStatusResponse } | null = null;
  let inFlight: Promise<ChannelStatusResponse> | null = null;

  const entries = (): Record<string, Entry> => {
    try {
      const config = parseLenientJson(readConfig(deps.configPath)) as { channels?: unknown };
      const channels = config?.channels;
      return typeof channels === 'object' && channels !== null ? (channels as Record<string, Entry>) : {};
    } catch {
      return {};
    }
  };

  const current =
    (all: Record<string, Entry>) =>
    (channel: ChannelKind): CurrentChannel => {
      const entry = all[channel];
      const enabled = typeof entry === 'object' && entry !== null && entry.enabled !== false;
      if (isEnvBacked(channel)) return { configured: enabled, stored: deps.secrets.readEnv(channel) };
      const token = enabled ? deps.secrets.readTokenFile(entry.tokenFile) : null;
      return { configured: enabled, stored: token ? { token } : null };
    };

  /** Every token the machine holds now or is about to: scrubbed from any CLI message. */
  const knownSecrets = (desired: readonly ChannelConnection[]) => {
    const all = entries();
    const stored = CHANNEL_KINDS.flatMap((c) => Object.values(current(all)(c).stored ?? {}));
    return [...stored, ...desired.flatMap((d) => Object.values(d.credentials))];
  };

  async function runStep(step: ChannelStep, secrets: readonly string[]): Promise<void> {
    const { channel } = step;
    const opts = { timeoutMs: CHANNEL_CLI_TIMEOUT_MS, secrets };
    if (!('credentials' in step)) {
      if (step.action === 'unchanged') return;
      if (current(entries())(channel).configured) await deps.cli.channels(removeArgs(channel), opts);
      if (isEnvBacked(channel)) deps.secrets.eraseEnv(channel);
      deps.secrets.pruneTokenFiles(channel, null);
      return;
    }
    if (isEnvBacked(channel)) {
      deps.secrets.writeEnv(channel, step.credentials);
      await deps.cli.channels(addArgs(channel, ''), opts);
      return;
    }
    const file = deps.secrets.writeTokenFile(channel, step.credentials.token ?? '');
    try {
      await deps.cli.channels(addArgs(channel, file), opts);
    } catch (error) {
      deps.secrets.pruneTokenFiles(channel, fileInConfig(channel));
      throw error;
    }
    deps.secrets.pruneTokenFiles(channel, file);
  }

  const fileInConfig = (channel: ChannelKind) => {
    const file = entries()[channel]?.tokenFile;
    return typeof file === 'string' ? file : null;
  };

  async function applyNow(desired: readonly ChannelConnection[]): Promise<ApplyChannelsResponse> {
    await deps.ready();
    const steps = planChannels(desired, current(entries()));
    const todo = changed(steps);
    if (todo.length === 0) return { applied: summary(steps), restartedGateway: false };
    const secrets = knownSecrets(desired);
    let failure: unknown = null;
    for (const step of todo) {
      try {
        await runStep(step, secrets);
        deps.log.info({ channel: step.channel, action: step.action }, 'channel applied');
      } catch (error) {
        failure ??= error;
        deps.log.warn(
          { channel: step.channel, action: step.action, reason: error instanceof Error ? error.message : 'unknown' },
          'channel not applied',
        );
      }
    }
    // The gateway reads `.env` only when it starts: restart it once for all env-backed changes.
    const restart = todo.some((s) => isEnvBacked(s.channel));
    if (restart) await deps.restartGateway();
    lastStatus = null;
    if (failure) {
      const message = failure instanceof OpenclawCliError ? failure.message : 'openclaw could not apply the channels';
      throw new ChannelApplyError(500, message);
    }
    return { applied: summary(steps), restartedGateway: restart };
  }

  async function probe(): Promise<ChannelStatusResponse> {
    await deps.ready();
    const secrets = knownSecrets([]);
    const stdout = await deps.cli.channels(['channels', 'status', '--probe', '--json', '--timeout', '20000'], {
      timeoutMs: STATUS_TIMEOUT_MS,
      secrets,
    });
    const output = parseJsonOutput(z.unknown(), stdout, 'channels status');
    const scrub = (text: string | null) =>
      text === null ? null : secrets.reduce((t, s) => (s ? t.split(s).join('[redacted]') : t), text);
    const channels = statusesFromProbe(output).map((s) => ({ ...s, detail: scrub(s.detail) }));
    return { channels, probedAt: new Date(deps.clock.now()).toISOString() };
  }

  return {
    /** Makes openclaw's channels match `desired` (serialised with other applies). */
    apply(desired: readonly ChannelConnection[]): Promise<ApplyChannelsResponse> {
      const run = queue.then(() => applyNow(desired));
      queue = run.catch(() => undefined);
      return run;
    },

    /** The probed status of every channel openclaw has configured; concurrent callers share one probe. */
    async status(): Promise<ChannelStatusResponse> {
      if (lastStatus && deps.clock.now() - lastStatus.atMs < STATUS_FRESH_MS) return lastStatus.value;
      inFlight ??= probe()
        .then((value) => {
          lastStatus = { atMs: deps.clock.now(), value };
          return value;
        })
        .finally(() => {
          inFlight = null;
        });
      return inFlight;
    },

    /** Environment-backed channels openclaw has enabled (openclaw.json holds no token for them). */
    envBackedChannels(): string[] {
      const all = entries();
      return CHANNEL_KINDS.filter((c) => isEnvBacked(c) && current(all)(c).configured && current(all)(c).stored);
    },

    async testMessage(channel: ChannelKind): Promise<TestMessageResponse> {
      if (!deps.simulatedSender) throw new ChannelApplyError(409, 'test messages are for development machines only');
      if (!current(entries())(channel).configured)
        throw new ChannelApplyError(409, `${channel} is not connected on this instance — connect it first`);
      await deps.ready();
      return deps.simulatedSender.ask(channel);
    },
  };
}
