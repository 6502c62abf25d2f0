import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '@/db/client';
import { startEmbeddedPostgres } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import { startTestApp } from './harness/app';
import { createTestDb } from './harness/db';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe('GET /api/health', () => {
  it('answers 200 after a database round trip', async () => {
    const tdb = await createTestDb({ max: 2 });
    cleanups.push(() => tdb.close());
    const app = await startTestApp({ db: tdb.db });
    cleanups.push(() => app.close());
    const res = await fetch(`${app.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'up' });
  });

  it('answers 503 with a reason code (no address, no driver message) when the database stops, quickly', async () => {
    // its own server, so stopping it does not disturb other test files
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-health-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const pg = await startEmbeddedPostgres({ dir, persistent: false });
    cleanups.push(() => pg.stop());
    const h = createDb(pg.url(), { max: 2, connectTimeoutS: 2 });
    cleanups.push(() => h.close().catch(() => {}));
    await runMigrations(h.db);
    const app = await startTestApp({ db: h.db });
    cleanups.push(() => app.close());

    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    await pg.stop();
    const started = Date.now();
    const res = await fetch(`${app.url}/api/health`);
    expect(res.status).toBe(503);
    // the answer is public: the failure's text (here "connect ECONNREFUSED 127.0.0.1:<port>") is logged only
    expect(await res.json()).toEqual({ status: 'unavailable', database: 'down', reason: 'database_unreachable' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
