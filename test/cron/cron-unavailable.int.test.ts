// Both cron endpoints answer the same way when the database is unreachable: 503, a generic message
// a scheduler operator can act on, and no database detail in the response.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@/db/client';
import { startTestApp, TEST_SECRETS, type TestApp } from '../harness/app';

let closedPort: number;
let handle: DbHandle;
let app: TestApp;

beforeAll(async () => {
  // a port nothing listens on: every connection attempt is refused at once
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  handle = createDb(`postgres://nobody:secret-password@127.0.0.1:${closedPort}/none`, { max: 1, connectTimeoutS: 2 });
  app = await startTestApp({ db: handle.db });
});
afterAll(async () => {
  await app?.close();
  await handle?.close().catch(() => {});
});

describe('a cron endpoint while the database is unreachable', () => {
  it.each(['/api/cron/billing-lifecycle', '/api/cron/reconcile-instances'])(
    '%s answers 503 with a generic message',
    async (path) => {
      const res = await fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` },
      });
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body).toEqual({ error: expect.stringMatching(/database is unavailable.*next scheduled call retries/) });
      const text = JSON.stringify(body);
      expect(text).not.toMatch(/ECONNREFUSED|secret-password|127\.0\.0\.1/);
    },
  );
});
