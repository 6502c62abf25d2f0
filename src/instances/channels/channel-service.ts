// Chat channels of the caller's own instance: list with status, connect (or replace), disconnect, and
// in development a test message. The table is the desired state: a connect or disconnect is written
// first and pushed to a running machine at once; a stopped instance gets it at its next start, and
// the reconciler re-pushes it to running machines (the controller skips what is already in place).
import {
  CHANNEL_KINDS,
  CHANNEL_SPECS,
  type ChannelConnection,
  type ChannelKind,
  checkChannelConnection,
  credentialHint,
  isChannelKind,
} from '@/contracts/channel-input';
import type { ChannelStatus } from '@/contracts/controller';
import type { Db } from '@/db/client';
import type { Clock } from '@/platform/clock';
import type { Logger } from '@/platform/logger';
import type { ControllerTarget } from '../controller-client';
import { InstanceDestroying, InstanceError, InstanceNotFound } from '../errors';
import { findByUser, type InstanceRow } from '../instance-store';
import { askTestMessage, probeChannels, pushChannels } from './channel-controller';
import {
  BadChannelInput,
  ChannelCredentialsLost,
  ChannelInstanceNotRunning,
  ChannelKeysMissing,
  ChannelNotConnected,
  TestMessagesDisabled,
} from './channel-errors';
import { deleteChannelRow, listChannelRows, resealChannelRow, upsertChannelRow } from './channel-store';
import { CredentialsUnreadable, type TokenCipher } from './token-crypto';

export type ChannelDeps = {
  db: Db;
  clock: Clock;
  logger: Logger;
  controllerSecret: string;
  /** null when CHANNEL_TOKEN_KEYS is not configured: channels then refuse with a clear message */
  cipher: TokenCipher | null;
  /** development only: "send a test message" */
  testMessages: boolean;
  fetch?: typeof fetch;
};

/**
 * What the dashboard shows of one channel. `state`: not_connected (no token saved), stopped (saved;
 * applied when the instance starts), or openclaw's own: configured / connecting / connected / error,
 * or unknown when the instance could not be asked (detail says why).
 */
export type ChannelView = {
  channel: ChannelKind;
  connected: boolean;
  /** last 4 characters of each saved credential, e.g. {token: "x9Qz"} */
  hints: Record<string, string>;
  state: 'not_connected' | 'stopped' | 'pending' | ChannelStatus['state'] | 'unknown';
  detail: string | null;
  updatedAt: Date | null;
};

export type ChannelsView = { instance: InstanceRow['status'] | 'none'; testMessages: boolean; channels: ChannelView[] };

const PUSH_ROUNDS = 3; // a push re-reads the table after it lands; two racing changes settle within this

const targetOf = (deps: ChannelDeps, row: InstanceRow): ControllerTarget | null =>
  row.status === 'running' && row.controllerUrl
    ? { baseUrl: row.controllerUrl, secret: deps.controllerSecret, instanceId: row.id }
    : null;

export function createChannelService(deps: ChannelDeps) {
  const cipher = () =>
    deps.cipher ??
    (() => {
      throw ChannelKeysMissing();
    })();

  /** The table's channels, decrypted; a value sealed under an older key is re-sealed under the newest. */
  async function desired(instanceId: string): Promise<ChannelConnection[]> {
    const rows = await listChannelRows(deps.db, instanceId);
    const out: ChannelConnection[] = [];
    for (const r of rows) {
      let credentials: ChannelConnection['credentials'];
      try {
        credentials = cipher().decrypt(instanceId, r.channel, r.credentials);
      } catch (err) {
        if (!(err instanceof CredentialsUnreadable)) throw err;
        deps.logger.error({ instanceId, channel: r.channel, err: err.message }, 'channel credentials unreadable');
        throw ChannelCredentialsLost(CHANNEL_SPECS[r.channel].label);
      }
      if (cipher().isStale(r.credentials)) {
        const key = { instanceId, channel: r.channel };
        await resealChannelRow(deps.db, key, r.credentials, cipher().encrypt(instanceId, r.channel, credentials));
      }
      out.push({ channel: r.channel, credentials });
    }
    return out;
  }

  /** Every credential of the instance: scrubbed from any text that reaches a log or the browser. */
  const scrubberFor = (list: readonly ChannelConnection[]) => {
    const secrets = list.flatMap((c) => Object.values(c.credentials)).filter((s) => s.length >= 4);
    return (text: string) => secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);
  };

  /**
   * Sends the table's channel list to the instance's controller until what it applied is what the
   * table holds (a concurrent change may land between our read and our push).
   */
  async function apply(instanceId: string, target: ControllerTarget): Promise<boolean> {
    let sent = '';
    let changed = false;
    for (let round = 0; round < PUSH_ROUNDS; round++) {
      const list = await desired(instanceId);
      const key = JSON.stringify(list);
      if (key === sent) break;
      const result = await pushChannels({ target, fetch: deps.fetch, scrub: scrubberFor(list) }, list);
      const changedChannels = result.applied.filter((a) => a.action !== 'unchanged');
      changed ||= changedChannels.length > 0;
      if (changedChannels.length)
        deps.logger.info(
          { instanceId, applied: changedChannels, restartedGateway: result.restartedGateway },
          'channels applied',
        );
      sent = key;
    }
    return changed;
  }

  async function ownInstance(userId: string): Promise<InstanceRow> {
    const row = await findByUser(deps.db, userId);
    if (!row) throw InstanceNotFound();
    if (row.status === 'destroying') throw InstanceDestroying();
    return row;
  }

  async function view(userId: string): Promise<ChannelsView> {
    const row = await findByUser(deps.db, userId);
    const rows = row ? await listChannelRows(deps.db, row.id) : [];
    let statuses: ChannelStatus[] | null = null;
    let unknown: string | null = null;
    const target = row ? targetOf(deps, row) : null;
    if (row && target && rows.length > 0) {
      try {
        const list = await desired(row.id);
        statuses = (await probeChannels({ target, fetch: deps.fetch, scrub: scrubberFor(list) })).channels;
      } catch (err) {
        if (!(err instanceof InstanceError)) throw err;
        unknown = err.message;
      }
    }
    const channels = CHANNEL_KINDS.map((channel): ChannelView => {
      const saved = rows.find((r) => r.channel === channel);
      const base = { channel, hints: saved?.hints ?? {}, updatedAt: saved?.updatedAt ?? null };
      if (!saved) return { ...base, connected: false, state: 'not_connected', detail: null };
      if (!target) return { ...base, connected: true, state: 'stopped', detail: 'applied when your instance starts' };
      if (unknown) return { ...base, connected: true, state: 'unknown', detail: unknown };
      const status = statuses?.find((s) => s.channel === channel);
      if (!status) return { ...base, connected: true, state: 'pending', detail: 'openclaw has not picked it up yet' };
      return { ...base, connected: true, state: status.state, detail: status.detail };
    });
    return { instance: row?.status ?? 'none', testMessages: deps.testMessages, channels };
  }

  return {
    list: view,

    /** Validates, encrypts and saves the channel (nothing is written on bad input), then applies it. */
    async connect(userId: string, input: unknown): Promise<ChannelsView> {
      const check = checkChannelConnection(input);
      if (!check.ok) throw BadChannelInput(check.message);
      const { channel, credentials } = check.value;
      const row = await ownInstance(userId);
      const hints = Object.fromEntries(Object.entries(credentials).map(([k, v]) => [k, credentialHint(v)]));
      const sealed = cipher().encrypt(row.id, channel, credentials);
      await upsertChannelRow(deps.db, { instanceId: row.id, channel, credentials: sealed, hints }, deps.clock.now());
      deps.logger.info({ instanceId: row.id, channel }, 'channel saved');
      const target = targetOf(deps, row);
      if (target) await apply(row.id, target);
      return view(userId);
    },

    async disconnect(userId: string, input: { channel: unknown }): Promise<ChannelsView> {
      if (!isChannelKind(input.channel)) throw BadChannelInput(`channel must be one of ${CHANNEL_KINDS.join(', ')}`);
      const row = await ownInstance(userId);
      if (!(await deleteChannelRow(deps.db, row.id, input.channel))) return view(userId);
      deps.logger.info({ instanceId: row.id, channel: input.channel }, 'channel removed');
      const target = targetOf(deps, row);
      if (target) await apply(row.id, target);
      return view(userId);
    },

    async sendTestMessage(userId: string, input: { channel: unknown }) {
      if (!deps.testMessages) throw TestMessagesDisabled();
      if (!isChannelKind(input.channel)) throw BadChannelInput(`channel must be one of ${CHANNEL_KINDS.join(', ')}`);
      const channel = input.channel;
      const row = await ownInstance(userId);
      const target = targetOf(deps, row);
      if (!target) throw ChannelInstanceNotRunning();
      const list = await desired(row.id);
      if (!list.some((c) => c.channel === channel)) throw ChannelNotConnected(CHANNEL_SPECS[channel].label);
      return askTestMessage({ target, fetch: deps.fetch, scrub: scrubberFor(list) }, channel);
    },

    /** The start and reconcile hook: push the table's list to a running machine. */
    applyTo: (instanceId: string, target: ControllerTarget) =>
      deps.cipher ? apply(instanceId, target) : Promise.resolve(false),
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;
