// Internal failures over real HTTP: the client reads a generic sentence with the request id; the failed
// SQL (with its parameters), driver messages and addresses are in the log under that id only.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/platform/logger';
import { startTestApp, type TestApp } from '../harness/app';
import { signUp, uniqueEmail } from '../harness/client';
import { createTestDb, type TestDb } from '../harness/db';

let tdb: TestDb;
let app: TestApp;
let logged = '';
beforeAll(async () => {
  tdb = await createTestDb();
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged += chunk.toString();
      done();
    },
  });
  app = await startTestApp({
    db: tdb.db,
    extend: (deps) => ({ ...deps, logger: createLogger({ level: 'error', destination: sink }) }),
  });
});
afterAll(async () => {
  await app?.close();
  await tdb?.close();
});

/** Breaks a table under the running app (a failed migration, a dropped grant), then repairs it. */
async function withTableMissing<T>(table: string, fn: () => Promise<T>): Promise<T> {
  await tdb.sql.unsafe(`alter table ${table} rename to ${table}_away`);
  try {
    return await fn();
  } finally {
    await tdb.sql.unsafe(`alter table ${table}_away rename to ${table}`);
  }
}

describe('an internal error reaching the client', () => {
  it('is a generic tRPC message with the request id; the SQL and its parameters stay in the log', async () => {
    const u = await signUp(app.url);
    const res = await withTableMissing('kiloclaw_subscriptions', () =>
      fetch(`${app.url}/api/trpc/kiloclaw.getBillingStatus`, {
        headers: { cookie: u.cookie, 'x-request-id': 'req-sql-1' },
      }),
    );
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('req-sql-1');
    const text = await res.text();
    expect(text).toContain('Something went wrong on our side');
    expect(text).toContain('req-sql-1');
    expect(text).not.toMatch(/select|kiloclaw_subscriptions|Failed query|relation/i);
    expect(text).not.toContain(u.id); // a query parameter
    expect(logged).toContain('req-sql-1');
    expect(logged).toMatch(/kiloclaw_subscriptions/);
  });

  it('carries the request id too when the session lookup itself fails (before any procedure runs)', async () => {
    const u = await signUp(app.url);
    const res = await withTableMissing('auth_sessions', () =>
      fetch(`${app.url}/api/trpc/kiloclaw.getBillingStatus`, {
        headers: { cookie: u.cookie, 'x-request-id': 'req-ctx-1' },
      }),
    );
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toContain('(reference req-ctx-1)');
    expect(text).not.toMatch(/auth_sessions|Failed query|select/i);
    expect(logged).toContain('req-ctx-1');
  });

  it('is a generic auth answer with the request id when the database fails under better-auth', async () => {
    const res = await withTableMissing('users', () =>
      fetch(`${app.url}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: app.url, 'x-request-id': 'req-auth-1' },
        body: JSON.stringify({ email: uniqueEmail('broken'), password: 'a-long-password', name: 'Broken' }),
      }),
    );
    expect(res.status).toBe(500);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      code: 'INTERNAL_ERROR',
      message: expect.stringContaining('req-auth-1'),
      requestId: 'req-auth-1',
    });
  });
});
