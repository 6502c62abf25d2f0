// What an idle instance costs: once the warm-up has proven the state-database fast path against
// the CLI, the cache runs no CLI and no query while nothing changes, still shows a new request
// within a second, verifies what the fast path changed at most hourly, and falls back to the CLI
// the moment the fast path is wrong or gone.
import { describe, expect, it } from 'vitest';
import type { FastPathHandle } from '@/controller/fast-path';
import { silentLogger } from '@/controller/log';
import type { OpenclawCli } from '@/controller/openclaw-cli';
import type { RawChannelRequest } from '@/controller/openclaw-rules';
import { PairingCache, SAFETY_VERIFY_INTERVAL_MS } from '@/controller/pairing-cache';
import { createChannelSource } from '@/controller/pairing-sources';
import type { StateDbReader } from '@/controller/state-db';
import { FakeClock, settle } from '../harness/fake-clock';
import { FakeSource, type Item, item } from '../harness/fake-source';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const POLL_MS = 1_000;

/** A cache on a fast path that is on, warmed up and verified by one CLI read at t0. */
async function verifiedIdleCache(listed: Item[] = []) {
  const clock = new FakeClock();
  const source = new FakeSource();
  source.fastOn = true;
  source.dataVersion = 1;
  source.fastData.set('telegram', listed);
  const cache = new PairingCache<Item, { id: string }>({
    source,
    clock,
    log: silentLogger,
    approve: async (input) => `Approved ${input.id}`,
  });
  cache.start();
  await settle();
  expect(source.cliReads).toHaveLength(1); // the warm-up read, which verifies the fast path
  source.answerAll({ telegram: listed });
  await settle();
  const t0 = clock.now();
  return { clock, source, cache, t0, cliRuns: () => cache.stats.runs.cli };
}

describe('an idle cache on a verified fast path', () => {
  it('runs no CLI and no query for hours while the database does not change', async () => {
    const { cache, clock, source, cliRuns } = await verifiedIdleCache();
    const readsBefore = source.fastReads;
    await clock.advance(3 * HOUR);
    expect(cliRuns()).toBe(1); // the warm-up verification only
    expect(source.cliReads).toHaveLength(0);
    expect(source.fastReads - readsBefore).toBeLessThanOrEqual(1); // one query after the CLI's list, then none
    expect(cache.stats.unchangedPolls).toBeGreaterThan(3 * 3_600 - 5);
    expect(clock.pendingDelays()).toEqual([POLL_MS]); // the poll is the only timer left
    expect(cache.snapshot().lastUpdated).toBe(new Date(clock.now()).toISOString()); // confirmed current
    cache.stop();
  });

  it('still shows a new request within a second: openclaw’s write moves data_version', async () => {
    const { cache, clock, source, cliRuns } = await verifiedIdleCache();
    await clock.advance(30 * MINUTE);
    source.fastData.set('telegram', [item('telegram', 'new')]);
    source.dataVersion = 2;
    await clock.advance(POLL_MS);
    expect(cache.snapshot().requests).toEqual([item('telegram', 'new')]);
    expect(cliRuns()).toBe(1); // its verification waits for the hour
    cache.stop();
  });

  it('queries every second while a listed request could expire (expiry writes nothing)', async () => {
    const { cache, clock, source } = await verifiedIdleCache([item('telegram', 'waiting')]);
    await clock.advance(POLL_MS);
    const before = source.fastReads;
    await clock.advance(10 * POLL_MS);
    expect(source.fastReads - before).toBe(10);
    source.fastData.set('telegram', []); // it expired: no write, no new data_version
    await clock.advance(POLL_MS);
    expect(cache.snapshot().requests).toEqual([]);
    cache.stop();
  });

  it('re-reads when the configured channels change even though the database did not', async () => {
    const { cache, clock, source } = await verifiedIdleCache();
    await clock.advance(5 * POLL_MS);
    source.currentKeys = ['telegram', 'discord'];
    source.fastData.set('discord', [item('discord', 'd1')]);
    await clock.advance(POLL_MS);
    expect(cache.snapshot().requests).toEqual([item('discord', 'd1')]);
    cache.stop();
  });
});

describe('verification of what the fast path changed', () => {
  it('checks a change with the CLI once, an interval after the last verification, then goes quiet', async () => {
    expect(SAFETY_VERIFY_INTERVAL_MS).toBe(HOUR);
    const { cache, clock, source, t0, cliRuns } = await verifiedIdleCache();
    await clock.advance(10 * MINUTE);
    source.fastData.set('telegram', [item('telegram', 'a')]);
    source.dataVersion = 2;
    await clock.advance(t0 + HOUR - 1_000 - clock.now());
    expect(cache.snapshot().requests).toEqual([item('telegram', 'a')]);
    expect(cliRuns()).toBe(1);
    await clock.advance(1_000);
    expect(source.cliReads).toHaveLength(1);
    expect(cache.stats.byReason.verify).toBe(1);
    source.answerAll({ telegram: [item('telegram', 'a')] });
    await settle();

    // A second change 10 min later waits for the next hour; none after it means no more CLI.
    await clock.advance(10 * MINUTE);
    source.fastData.set('telegram', []);
    source.dataVersion = 3;
    await clock.advance(t0 + 2 * HOUR - 1_000 - clock.now());
    expect(source.cliReads).toHaveLength(0);
    await clock.advance(1_000);
    expect(source.cliReads).toHaveLength(1);
    source.answerAll({ telegram: [] });
    await clock.advance(5 * HOUR);
    expect(cliRuns()).toBe(3);
    cache.stop();
  });

  it('retries a verification that failed with backoff, and goes quiet once one succeeds', async () => {
    const { cache, clock, source, t0 } = await verifiedIdleCache();
    source.fastData.set('telegram', [item('telegram', 'a')]);
    source.dataVersion = 2;
    await clock.advance(t0 + HOUR - clock.now());
    expect(source.cliReads).toHaveLength(1);
    source.answerAll({ telegram: new Error('gateway not reachable') });
    await settle();
    expect(clock.pendingDelays()).toEqual([expect.any(Number), 30_000].sort((a, b) => a - b));
    await clock.advance(30_000);
    expect(source.cliReads).toHaveLength(1);
    source.answerAll({ telegram: [item('telegram', 'a')] });
    await settle();
    expect(clock.pendingDelays()).toHaveLength(1); // only the poll
    await clock.advance(3 * HOUR);
    expect(source.cliReads).toHaveLength(0);
    cache.stop();
  });
});

describe('leaving the fast path', () => {
  it('refreshes from the CLI at once, then every 60–120 s, when the fast path switches off between checks', async () => {
    const { cache, clock, source } = await verifiedIdleCache();
    await clock.advance(HOUR);
    source.fastOn = false; // e.g. three read errors in a row
    await clock.advance(POLL_MS);
    expect(source.cliReads).toHaveLength(1);
    expect(cache.stats.byReason['fast-path-off']).toBe(1);
    source.answerAll({ telegram: [] });
    await settle();
    expect(clock.pendingDelays()).toContain(120_000);
    await clock.advance(120_000);
    expect(source.cliReads).toHaveLength(1);
    cache.stop();
  });

  it('verifies a fast path that came up after the warm-up, then stops running the CLI', async () => {
    const clock = new FakeClock();
    const source = new FakeSource(); // no state database yet: openclaw creates it on first use
    const cache = new PairingCache<Item, { id: string }>({
      source,
      clock,
      log: silentLogger,
      approve: async () => 'ok',
    });
    cache.start();
    await settle();
    source.answerAll({ telegram: [] });
    await settle();
    expect(clock.pendingDelays()).toContain(60_000); // the CLI's cadence (a first read is a change)
    source.fastOn = true;
    source.dataVersion = 1;
    await clock.advance(60_000);
    expect(source.cliReads).toHaveLength(1); // this CLI read compares with the database
    source.answerAll({ telegram: [] });
    await clock.advance(3 * HOUR);
    expect(cache.stats.runs.cli).toBe(2);
    cache.stop();
  });
});

describe('with the real pairing source: the fast path still proves itself', () => {
  const req = (id: string, code: string): RawChannelRequest => ({
    id,
    code,
    createdAt: '2026-11-27T15:00:00.000Z',
    lastSeenAt: '2026-11-27T15:00:00.000Z',
    meta: { accountId: 'default' },
  });

  it('switches the fast path off when the check of a change finds the database wrong, and serves the CLI', async () => {
    const clock = new FakeClock();
    let dbRows: RawChannelRequest[] = [];
    let cliRows: RawChannelRequest[] = [];
    let version = 1;
    let cliCalls = 0;
    let on = true;
    const reader: StateDbReader = {
      readChannel: () => dbRows,
      readDevices: () => [],
      dataVersion: () => version,
      channelApproved: () => null,
      close: () => {},
    };
    const fast: FastPathHandle = {
      prepare: async () => (on ? reader : null),
      current: () => (on ? reader : null),
      readSucceeded: () => {},
      readFailed: () => {},
      mismatch: () => {
        on = false;
      },
    };
    const cli = {
      listChannel: async () => {
        cliCalls += 1;
        return cliRows;
      },
    } as unknown as OpenclawCli;
    const cache = new PairingCache({
      source: createChannelSource({ cli, fast, channels: () => ['telegram'], clock, log: silentLogger }),
      approve: async () => 'ok',
      clock,
      log: silentLogger,
    });
    cache.start();
    await clock.advance(3 * HOUR);
    expect(cliCalls).toBe(1); // the warm-up verification, then nothing

    // openclaw stores a request the fast path reads wrongly (say a changed meaning of a column).
    // The last verification is hours old, so this change is checked at once.
    cliRows = [req('42', 'RIGHT123')];
    dbRows = [req('42', 'WRONG123')];
    version = 2;
    await clock.advance(POLL_MS);
    expect(cliCalls).toBe(2);
    expect(on).toBe(false); // the verification disagreed before and after: fast path off for good
    expect(cache.snapshot().requests.map((r) => r.code)).toEqual(['RIGHT123']);
    const calls = cliCalls;
    await clock.advance(60_000); // a request is pending: the CLI's 60 s cadence
    expect(cliCalls).toBe(calls + 1);
    cache.stop();
  });
});
