// The in-process scheduler against a real HTTP server standing in for the app's cron endpoints.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type Scheduler, startScheduler } from '@/server/scheduler';
import { quietLogger } from '../harness/cron-fixtures';
import { eventually } from '../harness/eventually';

type Hit = { path: string; authorization?: string; at: number };

async function fakeApp(answerAfterMs: (n: number) => number) {
  const hits: Hit[] = [];
  let active = 0;
  let maxActive = 0;
  const server = http.createServer((req, res) => {
    hits.push({ path: req.url ?? '', authorization: req.headers.authorization, at: Date.now() });
    active++;
    maxActive = Math.max(maxActive, active);
    setTimeout(() => {
      active--;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ skipped: false }));
    }, answerAfterMs(hits.length));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    maxActive: () => maxActive,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let scheduler: Scheduler | undefined;
let app: Awaited<ReturnType<typeof fakeApp>> | undefined;
afterEach(async () => {
  await scheduler?.stop();
  await app?.close();
});

describe('the in-process scheduler', () => {
  it('POSTs each job with the bearer secret, again and again', async () => {
    app = await fakeApp(() => 0);
    scheduler = startScheduler({
      baseUrl: app.url,
      secret: 's3cret-value-0123456789',
      logger: quietLogger(),
      intervalMs: 20,
      firstDelayMs: 0,
      jobs: [
        { name: 'a', path: '/api/cron/a' },
        { name: 'b', path: '/api/cron/b' },
      ],
    });
    const calls = (path: string) => app!.hits.filter((h) => h.path === path).length;
    await eventually(() => calls('/api/cron/a') >= 3 && calls('/api/cron/b') >= 3, {
      timeoutMs: 5_000,
      what: 'three calls of each job',
    });
    expect(calls('/api/cron/a')).toBeGreaterThanOrEqual(3);
    expect(calls('/api/cron/b')).toBeGreaterThanOrEqual(3);
    expect(app.hits.every((h) => h.authorization === 'Bearer s3cret-value-0123456789')).toBe(true);
  });

  it('never overlaps itself when a run is slower than the interval', async () => {
    app = await fakeApp(() => 120);
    scheduler = startScheduler({
      baseUrl: app.url,
      secret: 'x'.repeat(16),
      logger: quietLogger(),
      intervalMs: 10,
      firstDelayMs: 0,
      jobs: [{ name: 'slow', path: '/slow' }],
    });
    const started = Date.now();
    await eventually(() => app!.hits.length >= 3, { timeoutMs: 5_000, what: 'three calls' });
    expect(app.maxActive()).toBe(1);
    // each call waits for the previous answer (120 ms), whatever the 10 ms interval says
    expect(app.hits.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 120) + 1);
  });

  it('gives up on a call that does not answer in time, and calls again at the next tick', async () => {
    app = await fakeApp((n) => (n === 1 ? 10_000 : 0));
    scheduler = startScheduler({
      baseUrl: app.url,
      secret: 'x'.repeat(16),
      logger: quietLogger(),
      intervalMs: 10,
      timeoutMs: 100,
      firstDelayMs: 0,
      jobs: [{ name: 'j', path: '/j' }],
    });
    await eventually(() => app!.hits.length >= 2, { timeoutMs: 5_000, what: 'two calls' });
    expect(app.hits.length).toBeGreaterThanOrEqual(2);
  });

  it('stops: no call after stop() resolves', async () => {
    app = await fakeApp(() => 30);
    scheduler = startScheduler({
      baseUrl: app.url,
      secret: 'x'.repeat(16),
      logger: quietLogger(),
      intervalMs: 5,
      firstDelayMs: 0,
      jobs: [{ name: 'j', path: '/j' }],
    });
    await eventually(() => app!.hits.length >= 1, { timeoutMs: 5_000, intervalMs: 10, what: 'a first call' });
    await scheduler.stop();
    const count = app.hits.length;
    await sleep(150);
    expect(app.hits.length).toBe(count);
  });
});
