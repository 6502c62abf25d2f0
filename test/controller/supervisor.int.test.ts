import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '@/controller/line-buffer';
import { silentLogger } from '@/controller/log';
import { GatewaySupervisor, type SupervisorOptions } from '@/controller/supervisor';
import { eventually } from '../harness/eventually';

const FAKE = join(import.meta.dirname, 'fixtures', 'fake-gateway.mjs');
const running: GatewaySupervisor[] = [];

function supervise(mode: string, extra: Partial<SupervisorOptions> = {}, env: Record<string, string> = {}) {
  const starts = join(mkdtempSync(join(tmpdir(), 'kilo-sup-')), 'starts');
  const supervisor = new GatewaySupervisor({
    command: process.execPath,
    args: [FAKE],
    env: { ...process.env, FAKE_GATEWAY_MODE: mode, FAKE_GATEWAY_STARTS: starts, ...env },
    log: silentLogger,
    stdout: null,
    stderr: null,
    ...extra,
    timing: {
      backoffInitialMs: 100,
      backoffMaxMs: 400,
      healthyResetMs: 30_000,
      stopGraceMs: 10_000,
      minCleanRunMs: 50,
      ...extra.timing,
    },
  });
  running.push(supervisor);
  const startTimes = () =>
    existsSync(starts)
      ? readFileSync(starts, 'utf8')
          .trim()
          .split('\n')
          .map((l) => Number(l.split(' ')[1]))
      : [];
  return { supervisor, startTimes };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('GatewaySupervisor', () => {
  it('restarts a crashing gateway with a doubling backoff capped at the maximum', async () => {
    const { supervisor, startTimes } = supervise('crash');
    supervisor.start();
    await eventually(() => startTimes().length >= 5);
    const times = startTimes();
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Backoff 100, 200, 400, 400 ms (plus process start-up time on top of each).
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    expect(gaps[3]).toBeGreaterThanOrEqual(400);
    expect(gaps[3]).toBeLessThan(400 + 1_500);
    const status = supervisor.status();
    expect(status.restarts).toBeGreaterThanOrEqual(4);
    expect(status.lastExit).toMatchObject({ code: 3, signal: null });
  });

  it('respawns a gateway that exits cleanly at once, without backoff', async () => {
    const { supervisor, startTimes } = supervise(
      'clean-exit',
      { timing: { backoffInitialMs: 20_000 } },
      { FAKE_GATEWAY_RUN_MS: '300' },
    );
    supervisor.start();
    await eventually(() => startTimes().length >= 3);
    const times = startTimes();
    expect(times[2]! - times[1]!).toBeLessThan(3_000); // far below the 20 s backoff
    expect(supervisor.status().lastExit).toMatchObject({ code: 0 });
  });

  it('goes back to the initial backoff after a run that lasted long enough to count as healthy', async () => {
    const { supervisor, startTimes } = supervise(
      'clean-exit',
      { timing: { backoffInitialMs: 100, backoffMaxMs: 60_000, healthyResetMs: 250, minCleanRunMs: 10_000 } },
      { FAKE_GATEWAY_RUN_MS: '400' }, // exit 0 but shorter than minCleanRunMs: treated as a crash
    );
    supervisor.start();
    await eventually(() => startTimes().length >= 4);
    const times = startTimes();
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Every run lasts 400 ms ≥ healthyResetMs, so each restart waits the initial 100 ms, never 200/400/800.
    for (const gap of gaps) expect(gap).toBeLessThan(400 + 100 + 700);
  });

  it('stops with SIGTERM and reports the state', async () => {
    const { supervisor, startTimes } = supervise('serve');
    supervisor.start();
    await eventually(() => supervisor.status().state === 'running' && startTimes().length === 1);
    await new Promise((r) => setTimeout(r, 200)); // let it install its SIGTERM handler
    expect(supervisor.status().pid).toEqual(expect.any(Number));
    await supervisor.stop();
    expect(supervisor.status()).toMatchObject({ state: 'stopped', pid: null, uptime: 0 });
    expect(supervisor.status().lastExit).toMatchObject({ code: 0, signal: null });
  });

  it('kills a gateway that ignores SIGTERM once the grace period is over', async () => {
    const { supervisor, startTimes } = supervise('ignore-term', { timing: { stopGraceMs: 500 } });
    supervisor.start();
    await eventually(() => startTimes().length === 1);
    await new Promise((r) => setTimeout(r, 200)); // let it install its SIGTERM handler
    const started = Date.now();
    await supervisor.stop();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(5_000);
    expect(supervisor.status().lastExit).toMatchObject({ signal: 'SIGKILL' });
  });

  it('hands stdout lines to onStdoutLine (cut, \\r stripped) and passes output through even when the hook throws', async () => {
    const lines: string[] = [];
    const copy = new PassThrough();
    let copied = '';
    copy.on('data', (c: Buffer) => (copied += c.toString()));
    const { supervisor } = supervise('lines', {
      stdout: copy,
      onStdoutLine: (line) => {
        lines.push(line);
        if (line.startsWith('first')) throw new Error('listener bug');
      },
    });
    supervisor.start();
    await eventually(() => lines.includes('last line'));
    expect(lines).toEqual(['first pairing line', 'second line', 'L'.repeat(MAX_LINE_CHARS), 'last line']);
    expect(copied).toBe(`first pairing line\r\nsecond line\n${'L'.repeat(20_000)}\nlast line\n`);
    expect(supervisor.lines.callbackErrors).toBe(1);
  });

  it('stays "starting" until the readiness probe answers, and tells waiters when it is running', async () => {
    let ready = false;
    const { supervisor } = supervise('serve', { isReady: async () => ready, timing: { readyPollMs: 50 } });
    supervisor.start();
    const waiting = supervisor.whenRunning(10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(supervisor.status().state).toBe('starting');
    ready = true;
    expect(await waiting).toBe(true);
    expect(supervisor.status().state).toBe('running');
    expect(await supervise('serve', { isReady: async () => false }).supervisor.whenRunning(100)).toBe(false);
  });

  it('reports a command that cannot start as an exit and keeps retrying', async () => {
    const supervisor = new GatewaySupervisor({
      command: '/nonexistent/openclaw',
      args: [],
      log: silentLogger,
      stdout: null,
      stderr: null,
      timing: { backoffInitialMs: 50, backoffMaxMs: 100 },
    });
    running.push(supervisor);
    supervisor.start();
    await eventually(() => supervisor.status().restarts >= 2);
    expect(supervisor.status()).toMatchObject({
      state: expect.stringMatching(/backoff|running/),
      lastExit: { code: null },
    });
  });
});
