// Each CLI read doubles as a check of the state-database path; a real difference switches it off.
import { describe, expect, it } from 'vitest';
import type { FastPathHandle } from '@/controller/fast-path';
import { silentLogger } from '@/controller/log';
import type { OpenclawCli } from '@/controller/openclaw-cli';
import type { RawChannelRequest } from '@/controller/openclaw-rules';
import { createChannelSource } from '@/controller/pairing-sources';
import type { StateDbReader } from '@/controller/state-db';

const req = (id: string): RawChannelRequest => ({
  id,
  code: `C${id}`,
  createdAt: '2026-11-27T12:00:00.000Z',
  lastSeenAt: '2026-11-27T12:00:00.000Z',
  meta: { accountId: 'default' },
});

/**
 * A channel source over a stand-in database that answers `dbAnswers` in turn (the last one from
 * then on) and whose data_version moves by `writesPerRead` at every read of the list.
 */
function setup(dbAnswers: RawChannelRequest[][], cliAnswer: RawChannelRequest[], writesPerRead = 0) {
  const mismatches: unknown[] = [];
  let reads = 0;
  let version = 1;
  const reader: StateDbReader = {
    readChannel: () => {
      version += writesPerRead;
      return dbAnswers[Math.min(reads++, dbAnswers.length - 1)]!;
    },
    readDevices: () => [],
    dataVersion: () => version,
    channelApproved: () => null,
    close: () => {},
  };
  let on = true;
  const fast: FastPathHandle = {
    prepare: async () => (on ? reader : null),
    current: () => (on ? reader : null),
    readSucceeded: () => {},
    readFailed: () => {},
    mismatch: (_kind, detail) => {
      mismatches.push(detail);
      on = false;
    },
  };
  let cliNow = cliAnswer;
  const cli = { listChannel: async () => cliNow } as unknown as OpenclawCli;
  const source = createChannelSource({
    cli,
    fast,
    channels: () => ['telegram'],
    clock: { now: () => 0 },
    log: silentLogger,
  });
  return {
    source,
    mismatches,
    isOn: () => on,
    setCliAnswer: (answer: RawChannelRequest[]) => {
      cliNow = answer;
    },
  };
}

describe('fast path verification', () => {
  it('keeps the fast path when the database and the CLI agree', async () => {
    const { source, mismatches, isOn } = setup([[req('1')]], [req('1')]);
    const items = await source.readCli('telegram', new AbortController().signal);
    expect(items).toEqual([
      {
        code: 'C1',
        id: '1',
        channel: 'telegram',
        meta: { accountId: 'default' },
        createdAt: '2026-11-27T12:00:00.000Z',
      },
    ]);
    expect(mismatches).toEqual([]);
    expect(isOn()).toBe(true);
  });

  it('tolerates a request created while the CLI was running', async () => {
    const { source, mismatches } = setup([[], [req('new')]], [req('new')]);
    await source.readCli('telegram', new AbortController().signal);
    expect(mismatches).toEqual([]);
  });

  it('switches the fast path off when the CLI disagrees with the database before and after', async () => {
    const { source, mismatches, isOn } = setup([[req('1')], [req('1')]], [req('1'), req('2')]);
    await source.readCli('telegram', new AbortController().signal);
    expect(mismatches).toEqual([{ key: 'telegram', cliCount: 2, databaseCount: 1 }]);
    expect(isOn()).toBe(false);
    expect(source.fastReady()).toBe(false);
  });

  it('keeps the fast path when two requests land on either side of the CLI read (the database changed meanwhile)', async () => {
    // before: none; the CLI saw the first request only; after: both. It agrees with neither read,
    // but the database moved under it, so this proves nothing against the fast path.
    const { source, mismatches, isOn } = setup([[], [req('a'), req('b')]], [req('a')], 1);
    await source.readCli('telegram', new AbortController().signal);
    expect(mismatches).toEqual([]);
    expect(isOn()).toBe(true);
  });

  it('still switches it off when the difference shows in three checks in a row while the database keeps changing', async () => {
    const { source, mismatches, isOn } = setup([[req('1')]], [req('1'), req('2')], 1);
    const check = () => source.readCli('telegram', new AbortController().signal);
    await check();
    await check();
    expect(isOn()).toBe(true);
    await check();
    expect(mismatches).toEqual([{ key: 'telegram', cliCount: 2, databaseCount: 1 }]);
    expect(isOn()).toBe(false);
  });

  it('starts counting again after a check that agrees', async () => {
    const { source, mismatches, isOn, setCliAnswer } = setup([[req('1')]], [req('1'), req('2')], 1);
    const check = () => source.readCli('telegram', new AbortController().signal);
    await check();
    await check();
    setCliAnswer([req('1')]);
    await check(); // agrees
    setCliAnswer([req('1'), req('2')]);
    await check();
    await check();
    expect(mismatches).toEqual([]);
    expect(isOn()).toBe(true);
  });

  it('counts checks in a row per list: two channels disagreeing once or twice each do not add up', async () => {
    const { source, mismatches, isOn } = setup([[req('1')]], [req('1'), req('2')], 1);
    const check = (key: string) => source.readCli(key, new AbortController().signal);
    await Promise.all([check('telegram'), check('discord'), check('slack')]);
    await Promise.all([check('telegram'), check('discord')]);
    expect(mismatches).toEqual([]);
    expect(isOn()).toBe(true);
    await check('telegram');
    expect(mismatches).toEqual([{ key: 'telegram', cliCount: 2, databaseCount: 1 }]);
    expect(isOn()).toBe(false);
  });
});
