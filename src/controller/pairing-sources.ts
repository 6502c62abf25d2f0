// The two kinds of pending requests as PairingSources: where their keys come from, how one key
// is read from the state database and from the CLI, and the check that both give the same list.
import type { ChannelPairingRequest, DevicePairingRequest } from '../contracts/controller';
import type { FastPathHandle } from './fast-path';
import type { Logger } from './log';
import type { OpenclawCli } from './openclaw-cli';
import type { RawChannelRequest, RawDeviceRequest } from './openclaw-rules';
import type { PairingSource } from './pairing-cache';
import { sameJson, toChannelItem, toDeviceItem } from './pairing-projection';

const DEVICES_KEY = 'devices';
/** Disagreements in a row, each while the database changed under the CLI read, that still count as one. */
const MAX_UNSETTLED_DISAGREEMENTS = 3;

export function createChannelSource(deps: {
  cli: OpenclawCli;
  fast: FastPathHandle;
  channels: () => string[];
  clock: { now(): number };
  log: Logger;
}): PairingSource<ChannelPairingRequest> {
  return createSource<RawChannelRequest, ChannelPairingRequest>({
    kind: 'channels',
    keys: deps.channels,
    fast: deps.fast,
    clock: deps.clock,
    log: deps.log,
    readRawFast: (reader, key, now) => reader.readChannel(key, now),
    readRawCli: (key, signal) => deps.cli.listChannel(key, signal),
    project: (key, raw) => raw.map((r) => toChannelItem(key, r)),
  });
}

export function createDeviceSource(deps: {
  cli: OpenclawCli;
  fast: FastPathHandle;
  clock: { now(): number };
  log: Logger;
}): PairingSource<DevicePairingRequest> {
  return createSource<RawDeviceRequest, DevicePairingRequest>({
    kind: 'devices',
    keys: () => [DEVICES_KEY],
    fast: deps.fast,
    clock: deps.clock,
    log: deps.log,
    readRawFast: (reader, _key, now) => reader.readDevices(now),
    readRawCli: (_key, signal) => deps.cli.listDevices(signal),
    project: (_key, raw) => raw.map(toDeviceItem),
  });
}

function createSource<Raw, Item>(spec: {
  kind: 'channels' | 'devices';
  keys: () => string[];
  fast: FastPathHandle;
  clock: { now(): number };
  log: Logger;
  readRawFast: (reader: NonNullable<ReturnType<FastPathHandle['current']>>, key: string, nowMs: number) => Raw[];
  readRawCli: (key: string, signal: AbortSignal) => Promise<Raw[]>;
  project: (key: string, raw: Raw[]) => Item[];
}): PairingSource<Item> {
  const { fast } = spec;

  /** Raw fast read, or undefined when the fast path is off or failed (failures are counted). */
  const tryRawFast = (key: string): Raw[] | undefined => {
    const reader = fast.current();
    if (!reader) return undefined;
    try {
      const raw = spec.readRawFast(reader, key, spec.clock.now());
      fast.readSucceeded();
      return raw;
    } catch (error) {
      fast.readFailed(spec.kind, error);
      return undefined;
    }
  };

  /** PRAGMA data_version of the fast path's connection, or null when it is off or failed. */
  const versionOf = (): number | null => {
    const reader = fast.current();
    if (!reader) return null;
    try {
      return reader.dataVersion();
    } catch (error) {
      fast.readFailed(spec.kind, error);
      return null;
    }
  };
  /** Per key (a channel's list is read alongside the others): disagreements in a row seen while the database changed. */
  const unsettled = new Map<string, number>();

  return {
    kind: spec.kind,
    keys: spec.keys,
    prepareFast: async () => (await fast.prepare()) !== null,
    fastReady: () => fast.current() !== null,
    fastVersion: versionOf,
    readFast(key, nowMs) {
      const reader = fast.current();
      if (!reader) throw new Error('state database fast path is off');
      try {
        const raw = spec.readRawFast(reader, key, nowMs);
        fast.readSucceeded();
        return spec.project(key, raw);
      } catch (error) {
        fast.readFailed(spec.kind, error);
        throw error;
      }
    },
    async readCli(key, signal) {
      // Read the database before and after the CLI: a request created or expiring meanwhile
      // makes the CLI agree with one of the two, a real difference agrees with neither. Two writes
      // on either side of the CLI's own read agree with neither too (a customer adding two devices
      // during a check), and switching the fast path off is for good: so a difference counts only
      // when the database did not change during the read (PRAGMA data_version moves with every
      // other connection's commit), or when it shows again and again while it does.
      const versionBefore = versionOf();
      const before = tryRawFast(key);
      const raw = await spec.readRawCli(key, signal);
      const after = before !== undefined && !sameJson(raw, before) ? tryRawFast(key) : undefined;
      if (after === undefined || sameJson(raw, after)) {
        unsettled.delete(key);
        return spec.project(key, raw);
      }
      const detail = { key, cliCount: raw.length, databaseCount: after.length };
      const settled = versionBefore !== null && versionBefore === versionOf();
      const inRow = settled ? 0 : (unsettled.get(key) ?? 0) + 1;
      if (settled || inRow >= MAX_UNSETTLED_DISAGREEMENTS) {
        unsettled.delete(key);
        fast.mismatch(spec.kind, detail);
      } else {
        unsettled.set(key, inRow);
        spec.log.info({ kind: spec.kind, ...detail, inRow }, 'database changed during the CLI check; not counted');
      }
      return spec.project(key, raw);
    },
  };
}
