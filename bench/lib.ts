// Shared plumbing for benchmarks: a throwaway PostgreSQL, a node:http server over fetch handlers,
// and autocannon runs summarised the same way everywhere.

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createDb, type DbHandle } from '@/db/client';
import { startEmbeddedPostgres } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import { type Config, loadConfig } from '@/platform/config';
import { sendFetchResponse, toFetchRequest } from '@/server/http/node-adapter';

export async function benchDatabase(): Promise<DbHandle & { stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-bench-'));
  const pg = await startEmbeddedPostgres({ dir, persistent: false });
  const handle = createDb(pg.url(), { max: 20 });
  await runMigrations(handle.db);
  return {
    ...handle,
    stop: async () => {
      await handle.close();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function serveFetch(
  handler: (req: Request) => Promise<Response>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const request = await toFetchRequest(req, url);
      await sendFetchResponse(res, await handler(request));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type LoadResult = { rps: number; p50_ms: number; p99_ms: number; errors: number; non2xx: number };

export async function load(opts: {
  url: string;
  headers?: Record<string, string>;
  connections?: number;
  seconds?: number;
  method?: 'GET' | 'POST';
  body?: string;
}): Promise<LoadResult> {
  const r = await autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: opts.headers,
    body: opts.body,
    connections: opts.connections ?? 10,
    duration: opts.seconds ?? 10,
  });
  return { rps: r.requests.average, p50_ms: r.latency.p50, p99_ms: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The app config every bench composes its deps from: test mode, silent logs, fixed secrets. */
export function benchConfig(): Config {
  return loadConfig({
    APP_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_SECRET: 'bench-auth-secret-bench-auth-secret-0123',
    CONTROLLER_SECRET: 'bench-controller-secret-0123456789abcdef',
    APP_URL: 'http://127.0.0.1',
  });
}

/**
 * BENCH_SMOKE=1 shrinks every bench to its smallest sizes, so `npm test` (test/bench-smoke.int.test.ts)
 * can check each one still runs end to end and prints its JSON keys. Its figures then mean nothing
 * (the openclaw benches still start a real gateway and CLI, which is most of their smoke run).
 * Unset, every bench runs at its full, documented size.
 */
const SMOKE = process.env.BENCH_SMOKE === '1';

/** `full` normally, `smoke` under BENCH_SMOKE=1. */
export function sized<T>(full: T, smoke: T): T {
  return SMOKE ? smoke : full;
}
