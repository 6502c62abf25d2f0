import { describe, expect, it } from 'vitest';
import { silentLogger } from '@/controller/log';
import { PairingCache, type PairingCacheOptions } from '@/controller/pairing-cache';
import { FakeClock, settle } from '../harness/fake-clock';
import { FakeSource, type Item, item } from '../harness/fake-source';

interface ApproveInput {
  id: string;
}

function setup(overrides: Partial<PairingCacheOptions<Item, ApproveInput>> = {}) {
  const clock = new FakeClock();
  const source = new FakeSource();
  const approvals: string[] = [];
  const cache = new PairingCache<Item, ApproveInput>({
    source,
    clock,
    log: silentLogger,
    approve: async (input) => {
      approvals.push(input.id);
      return `Approved ${input.id}`;
    },
    approvedItem: (entry, input) => entry.id === input.id,
    ...overrides,
  });
  return { clock, source, cache, approvals };
}

describe('PairingCache warm-up and reads', () => {
  it('returns from start() at once and serves an empty list while the CLI is still working', async () => {
    const { cache, source } = setup();
    cache.start();
    await settle();
    expect(cache.snapshot()).toEqual({ requests: [], lastUpdated: null });
    expect(source.cliReads).toHaveLength(1);
    source.answerAll({ telegram: [item('telegram', 'a')] });
    await settle();
    expect(cache.snapshot().requests).toEqual([item('telegram', 'a')]);
    expect(cache.snapshot().lastUpdated).not.toBeNull();
  });

  it('lists keys in configuration order, each with its own requests', async () => {
    const { cache, source } = setup();
    source.currentKeys = ['telegram', 'discord'];
    const done = cache.refresh({ reason: 'test' });
    source.answerAll({ telegram: [item('telegram', 't1')], discord: [item('discord', 'd1'), item('discord', 'd2')] });
    await done;
    expect(cache.snapshot().requests.map((r) => r.id)).toEqual(['t1', 'd1', 'd2']);
  });
});

describe('serialised snapshot', () => {
  it('always equals the current snapshot, across refreshes and local drops', async () => {
    const { cache, source, clock } = setup();
    expect(JSON.parse(cache.snapshotJson())).toEqual(cache.snapshot());
    let run = cache.refresh({ reason: 'first' });
    source.answerAll({ telegram: [item('telegram', 'a'), item('telegram', 'b')] });
    await run;
    expect(JSON.parse(cache.snapshotJson())).toEqual(cache.snapshot());
    await clock.advance(1_000);
    const approval = cache.approve({ id: 'a' });
    await settle();
    source.answerAll({ telegram: new Error('down') }); // refresh fails → 'a' dropped locally
    await approval;
    expect(JSON.parse(cache.snapshotJson())).toEqual(cache.snapshot());
    expect(cache.snapshot().requests.map((r) => r.id)).toEqual(['b']);
    run = cache.refresh({ reason: 'again' });
    source.answerAll({ telegram: [] });
    await run;
    expect(JSON.parse(cache.snapshotJson())).toEqual({ requests: [], lastUpdated: cache.snapshot().lastUpdated });
  });
});

describe('single-flight', () => {
  it('runs one CLI read per key however many callers ask at once, and they all get its result', async () => {
    const { cache, source } = setup();
    const callers = Array.from({ length: 10 }, () => cache.refresh({ reason: 'request' }));
    await settle();
    expect(source.cliReads).toHaveLength(1);
    source.answerAll({ telegram: [item('telegram', 'x')] });
    const outcomes = await Promise.all(callers);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(cache.stats.runs.cli).toBe(1);
  });

  it('gives callers that need fresh data one shared follow-up run after the running one', async () => {
    const { cache, source } = setup();
    const first = cache.refresh({ reason: 'periodic' });
    await settle();
    const fresh = Array.from({ length: 5 }, () => cache.refresh({ reason: 'approve', fresh: true }));
    await settle();
    expect(source.cliReads).toHaveLength(1); // still only the first in flight
    source.answerAll({ telegram: [item('telegram', 'old')] });
    await first;
    await settle();
    expect(source.cliReads).toHaveLength(1); // exactly one follow-up started
    source.answerAll({ telegram: [] });
    await Promise.all(fresh);
    expect(cache.stats.runs.cli).toBe(2);
    expect(cache.snapshot().requests).toEqual([]);
  });
});

describe('generation counter', () => {
  it('never lets a refresh that started earlier overwrite a newer result', async () => {
    const { cache, source } = setup();
    const slowCli = cache.refresh({ reason: 'periodic', verify: true });
    await settle();
    // While the CLI runs, the fast path comes up and reads the newer state.
    source.fastOn = true;
    source.fastData.set('telegram', [item('telegram', 'new')]);
    await cache.refresh({ reason: 'poll' });
    expect(cache.snapshot().requests).toEqual([item('telegram', 'new')]);
    source.answerAll({ telegram: [item('telegram', 'stale')] });
    const outcome = await slowCli;
    expect(outcome.discarded).toBe(true);
    expect(cache.snapshot().requests).toEqual([item('telegram', 'new')]);
    expect(cache.stats.discarded).toBe(1);
  });
});

describe('failures', () => {
  it('keeps the previous requests of a channel whose read failed and updates the others', async () => {
    const { cache, source, clock } = setup();
    source.currentKeys = ['telegram', 'discord'];
    let run = cache.refresh({ reason: 'first' });
    source.answerAll({ telegram: [item('telegram', 't1')], discord: [item('discord', 'd1')] });
    await run;
    const firstUpdate = cache.snapshot().lastUpdated;
    await clock.advance(5_000);
    run = cache.refresh({ reason: 'second' });
    source.answerAll({ telegram: new Error('timed out'), discord: [item('discord', 'd2')] });
    await run;
    expect(cache.snapshot().requests.map((r) => r.id)).toEqual(['t1', 'd2']);
    expect(cache.snapshot().lastUpdated).not.toBe(firstUpdate);
  });

  it('leaves the list and lastUpdated untouched when every read fails', async () => {
    const { cache, source, clock } = setup();
    source.currentKeys = ['telegram', 'discord'];
    let run = cache.refresh({ reason: 'first' });
    source.answerAll({ telegram: [item('telegram', 't1')], discord: [] });
    await run;
    const before = cache.snapshot();
    await clock.advance(5_000);
    run = cache.refresh({ reason: 'second' });
    source.answerAll({ telegram: new Error('boom'), discord: new Error('boom') });
    const outcome = await run;
    expect(outcome.ok).toBe(false);
    expect(cache.snapshot()).toEqual(before);
  });

  it('answers an empty list with a fresh lastUpdated when no channel is configured', async () => {
    const { cache, source, clock } = setup();
    let run = cache.refresh({ reason: 'first' });
    source.answerAll({ telegram: [item('telegram', 't1')] });
    await run;
    await clock.advance(10_000);
    source.currentKeys = [];
    run = cache.refresh({ reason: 'second' });
    await run;
    expect(source.cliReads).toHaveLength(0);
    expect(cache.snapshot()).toEqual({ requests: [], lastUpdated: new Date(clock.now()).toISOString() });
  });

  it('drops the requests of a channel that is no longer configured', async () => {
    const { cache, source } = setup();
    source.currentKeys = ['telegram', 'discord'];
    let run = cache.refresh({ reason: 'first' });
    source.answerAll({ telegram: [item('telegram', 't1')], discord: [item('discord', 'd1')] });
    await run;
    source.currentKeys = ['discord'];
    run = cache.refresh({ reason: 'second' });
    source.answerAll({ discord: [item('discord', 'd1')] });
    await run;
    expect(cache.snapshot().requests.map((r) => r.id)).toEqual(['d1']);
  });
});

describe('periodic refresh', () => {
  it('comes back after 60 s while requests are pending and after 120 s when there are none', async () => {
    const { cache, source, clock } = setup({ timing: { pollMs: 0 } });
    cache.start();
    await settle();
    source.answerAll({ telegram: [item('telegram', 'a')] });
    await settle();
    expect(clock.pendingDelays()).toEqual([60_000]);
    await clock.advance(60_000);
    expect(source.cliReads).toHaveLength(1);
    source.answerAll({ telegram: [] }); // changed → 60 s again
    await settle();
    expect(clock.pendingDelays()).toEqual([60_000]);
    await clock.advance(60_000);
    source.answerAll({ telegram: [] }); // unchanged and empty → 120 s
    await settle();
    expect(clock.pendingDelays()).toEqual([120_000]);
    cache.stop();
  });

  it('backs off 30 s, 60 s, 120 s, 240 s, 300 s, 300 s on consecutive failures and recovers', async () => {
    const { cache, source, clock } = setup({ timing: { pollMs: 0 } });
    cache.start();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      source.answerAll({ telegram: new Error('gateway down') });
      await settle();
      const [delay] = clock.pendingDelays();
      delays.push(delay!);
      await clock.advance(delay!);
    }
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
    source.answerAll({ telegram: [] }); // first successful read: a change, so the short interval
    await settle();
    expect(clock.pendingDelays()).toEqual([60_000]);
    cache.stop();
  });
});

describe('debounced refresh on gateway log lines', () => {
  it('turns a storm of 100 pairing lines in 1 s into one refresh 2 s after the first', async () => {
    const { cache, source, clock } = setup();
    for (let i = 0; i < 100; i++) {
      cache.notifyLogLine(`[ws] device.pair.requested ${i}`);
      await clock.advance(10);
    }
    expect(source.cliReads).toHaveLength(0);
    await clock.advance(1_000);
    expect(source.cliReads).toHaveLength(1);
    source.answerAll({ telegram: [] });
    await clock.advance(10_000);
    expect(cache.stats.byReason.log).toBe(1);
    expect(cache.stats.pairingLines).toBe(100);
  });

  it('ignores lines that do not mention pairing or approval', async () => {
    const { cache, source, clock } = setup();
    cache.notifyLogLine('[gateway] http server listening');
    cache.notifyLogLine('[agents] model warmed up');
    await clock.advance(5_000);
    expect(source.cliReads).toHaveLength(0);
  });
});

describe('approve', () => {
  it('approves, then waits for a refresh of that kind before answering', async () => {
    const { cache, source, approvals } = setup();
    const run = cache.refresh({ reason: 'first' });
    source.answerAll({ telegram: [item('telegram', 'a'), item('telegram', 'b')] });
    await run;
    let answered = false;
    const approval = cache.approve({ id: 'a' }).then((o) => {
      answered = true;
      return o;
    });
    await settle();
    expect(approvals).toEqual(['a']);
    expect(answered).toBe(false); // still waiting for the post-approve refresh
    source.answerAll({ telegram: [item('telegram', 'b')] });
    expect(await approval).toEqual({ ok: true, message: 'Approved a' });
    expect(cache.snapshot().requests.map((r) => r.id)).toEqual(['b']);
  });

  it('does not reuse a refresh that was already running when the approval finished', async () => {
    const { cache, source } = setup();
    const running = cache.refresh({ reason: 'periodic' });
    await settle();
    const approval = cache.approve({ id: 'a' });
    await settle();
    source.answerAll({ telegram: [item('telegram', 'a')] }); // read before the approval landed
    await running;
    await settle();
    expect(source.cliReads).toHaveLength(1); // the follow-up
    source.answerAll({ telegram: [] });
    await approval;
    expect(cache.snapshot().requests).toEqual([]);
  });

  it('stays a success when the refresh after it fails, and drops the approved request locally', async () => {
    const { cache, source } = setup();
    const run = cache.refresh({ reason: 'first' });
    source.answerAll({ telegram: [item('telegram', 'a'), item('telegram', 'b')] });
    await run;
    const approval = cache.approve({ id: 'a' });
    await settle();
    source.answerAll({ telegram: new Error('CLI timed out') });
    expect(await approval).toEqual({ ok: true, message: 'Approved a' });
    expect(cache.snapshot().requests.map((r) => r.id)).toEqual(['b']);
  });

  it('reports a CLI failure as failed and bad input as invalid', async () => {
    const failing = setup({
      approve: async () => {
        throw new Error('No pending pairing request found for code "ZZZZ9999"');
      },
    });
    expect(await failing.cache.approve({ id: 'x' })).toEqual({
      ok: false,
      reason: 'failed',
      message: 'No pending pairing request found for code "ZZZZ9999"',
    });
    const invalid = setup({
      approve: async () => {
        throw new Error('code: bad');
      },
      isInvalidInput: () => true,
    });
    expect((await invalid.cache.approve({ id: 'x' })).ok).toBe(false);
    expect(await invalid.cache.approve({ id: 'x' })).toMatchObject({ reason: 'invalid' });
  });
});

describe('stop', () => {
  it('refreshes nothing after stop and answers approvals with "shutting down"', async () => {
    const { cache, source, clock, approvals } = setup();
    cache.start();
    await settle();
    cache.stop();
    await settle();
    source.answerAll({ telegram: [item('telegram', 'late')] });
    await settle();
    expect(cache.snapshot().requests).toEqual([]); // the in-flight warm-up result was not applied
    cache.notifyLogLine('pairing request');
    await cache.refresh({ reason: 'request' });
    await clock.advance(600_000);
    expect(source.cliReads).toHaveLength(0);
    expect(await cache.approve({ id: 'a' })).toEqual({
      ok: false,
      reason: 'shutting-down',
      message: 'The controller is shutting down',
    });
    expect(approvals).toEqual([]);
  });

  it('cancels CLI reads still running when it stops', async () => {
    const { cache, source } = setup();
    const run = cache.refresh({ reason: 'first' });
    await settle();
    expect(source.cliReads).toHaveLength(1);
    cache.stop();
    expect(await run).toEqual({ ok: false, changed: false });
  });
});

describe('start gate', () => {
  it('holds the first CLI read until the gateway is up, while fast-path reads go ahead', async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { cache, source } = setup({ startGate: gate });
    source.fastOn = true;
    source.fastData.set('telegram', [item('telegram', 'early')]);
    cache.start();
    await settle();
    expect(cache.snapshot().requests).toEqual([item('telegram', 'early')]);
    expect(source.cliReads).toHaveLength(0);
    open();
    await settle();
    expect(source.cliReads).toHaveLength(1);
    cache.stop();
  });
});

describe('fast path', () => {
  it('answers refreshes from the state database without running the CLI', async () => {
    const { cache, source } = setup();
    source.fastOn = true;
    source.fastData.set('telegram', [item('telegram', 'f1')]);
    await cache.refresh({ reason: 'request', fresh: true });
    expect(source.cliReads).toHaveLength(0);
    expect(cache.snapshot().requests).toEqual([item('telegram', 'f1')]);
  });

  it('polls every second, so a new request shows within about 1 s', async () => {
    const { cache, source, clock } = setup();
    source.fastOn = true;
    cache.start();
    await settle();
    source.answerAll({ telegram: [] }); // the warm-up verification read
    await settle();
    source.fastData.set('telegram', [item('telegram', 'new')]);
    await clock.advance(1_000);
    expect(cache.snapshot().requests).toEqual([item('telegram', 'new')]);
    cache.stop();
  });

  it('replaces fast-path data with a CLI read at once when a verification switches the fast path off', async () => {
    const { cache, source } = setup();
    source.fastOn = true;
    source.fastData.set('telegram', [item('telegram', 'wrong')]);
    const verify = cache.refresh({ reason: 'periodic', verify: true });
    await settle();
    await cache.refresh({ reason: 'poll' }); // newer generation, from the database
    source.fastOn = false; // the verification found a disagreement
    source.answerAll({ telegram: [item('telegram', 'right')] });
    expect((await verify).discarded).toBe(true);
    await settle();
    expect(source.cliReads).toHaveLength(1); // the immediate CLI re-read
    source.answerAll({ telegram: [item('telegram', 'right')] });
    await settle();
    expect(cache.snapshot().requests).toEqual([item('telegram', 'right')]);
  });

  it('falls back to the CLI when a state-database read throws', async () => {
    const { cache, source } = setup();
    source.fastOn = true;
    source.fastThrows = true;
    const run = cache.refresh({ reason: 'request' });
    await settle();
    expect(source.cliReads).toHaveLength(1);
    source.answerAll({ telegram: [item('telegram', 'cli')] });
    await run;
    expect(cache.snapshot().requests).toEqual([item('telegram', 'cli')]);
  });
});
