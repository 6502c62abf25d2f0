// The app's real handlers served over real HTTP on a loopback port, against a test database.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '@/db/client';
import type { Clock } from '@/platform/clock';
import { type Config, loadConfig } from '@/platform/config';
import { createLogger } from '@/platform/logger';
import { type AppDeps, createAppDeps } from '@/server/app-deps';
import { type AppHandlers, createAppHandlers, routeRequest } from '@/server/http/app-handlers';
import { sendFetchResponse, toFetchRequest } from '@/server/http/node-adapter';
import { createTestDb, type TestDb } from './db';

export type TestApp = { url: string; deps: AppDeps; handlers: AppHandlers; close: () => Promise<void> };

export const TEST_SECRETS = {
  AUTH_SECRET: 'test-auth-secret-test-auth-secret-0123456789',
  CRON_SECRET: 'test-cron-secret-0123456789',
  CONTROLLER_SECRET: 'test-controller-secret-0123456789abcdef',
} as const;

export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ APP_ENV: 'test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...TEST_SECRETS, ...env });
}

/**
 * Starts the handlers on a free port. `extend` lets a test add collaborators (emulator clients, ports)
 * to the deps before the handlers are built.
 */
export async function startTestApp(opts: {
  db: Db;
  clock?: Clock;
  env?: Record<string, string | undefined>;
  /** per-IP auth limits and per-user throttles (default: as in development, off) */
  rateLimits?: boolean;
  extend?: (deps: AppDeps) => AppDeps | Promise<AppDeps>;
}): Promise<TestApp> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testConfig({ APP_URL: url, ...opts.env });
  let deps = createAppDeps({
    config,
    db: opts.db,
    clock: opts.clock,
    logger: createLogger({ level: config.LOG_LEVEL }),
    rateLimits: opts.rateLimits,
  });
  if (opts.extend) deps = await opts.extend(deps);
  const handlers = createAppHandlers(deps);
  server.on('request', (req, res) => {
    void (async () => {
      try {
        const request = await toFetchRequest(req, url);
        await sendFetchResponse(res, await routeRequest(handlers, request));
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
    })();
  });
  return {
    url,
    deps,
    handlers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type AppWorld = { tdb: TestDb; app: TestApp; close: () => Promise<void> };

/** A fresh test database and the app on it, as most HTTP tests start. */
export async function startAppWorld(opts: { clock?: Clock } = {}): Promise<AppWorld> {
  const tdb = await createTestDb();
  const app = await startTestApp({ db: tdb.db, clock: opts.clock });
  return {
    tdb,
    app,
    close: async () => {
      await app.close();
      await tdb.close();
    },
  };
}
