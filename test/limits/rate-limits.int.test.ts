// Rate limits live in PostgreSQL, so replicas share them: better-auth's per-IP limits on the auth
// routes, keyed by the configured client-IP header (never a guessed one), and our per-user throttles
// on instance actions and approvals.
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THROTTLES, Throttled, takeThrottle } from '@/server/throttle';
import { startTestApp, type TestApp } from '../harness/app';
import { signUp, trpcClient, trpcError, uniqueEmail } from '../harness/client';
import { createTestDb, type TestDb } from '../harness/db';

let tdb: TestDb;
/** two replicas over one database */
let a: TestApp;
let b: TestApp;
/** a replica behind a proxy that sets Fly-Client-IP */
let proxied: TestApp;
beforeAll(async () => {
  tdb = await createTestDb();
  [a, b, proxied] = await Promise.all([
    startTestApp({ db: tdb.db, rateLimits: true }),
    startTestApp({ db: tdb.db, rateLimits: true }),
    startTestApp({ db: tdb.db, rateLimits: true, env: { TRUSTED_PROXY_HEADER: 'Fly-Client-IP' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), proxied?.close()]);
  await tdb?.close();
});

function signInAttempt(app: TestApp, email: string, headers: Record<string, string> = {}) {
  return fetch(`${app.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: app.url, ...headers },
    body: JSON.stringify({ email, password: 'not-the-password' }),
  });
}

/** better-auth allows 3 sign-in attempts per 10 s per client IP */
const SIGN_IN_LIMIT = 3;

describe('per-IP limits on the auth routes', () => {
  it('counts attempts on both replicas together, in PostgreSQL, and answers 429 with a retry hint', async () => {
    const email = uniqueEmail('guess');
    const statuses: number[] = [];
    for (const app of [a, b, a, b]) statuses.push((await signInAttempt(app, email)).status);
    expect(statuses.slice(0, SIGN_IN_LIMIT)).toEqual([401, 401, 401]);
    expect(statuses[SIGN_IN_LIMIT]).toBe(429);
    const refused = await signInAttempt(b, email);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('x-retry-after'))).toBeGreaterThan(0);
    const rows = await tdb.sql`select key, count from auth_rate_limits where key like '%/sign-in/email'`;
    expect(rows.length).toBeGreaterThan(0);
  });

  it('ignores a forwarding header it was not told to trust: a spoofed X-Forwarded-For gets no fresh bucket', async () => {
    const res = await signInAttempt(a, uniqueEmail('spoof'), { 'x-forwarded-for': '203.0.113.99' });
    expect(res.status).toBe(429); // same socket address as the test above: still over the limit
  });

  it('keys on TRUSTED_PROXY_HEADER when set: each client behind the proxy has its own bucket', async () => {
    const email = uniqueEmail('proxied');
    const client = (ip: string) => signInAttempt(proxied, email, { 'fly-client-ip': ip });
    for (let i = 0; i < SIGN_IN_LIMIT; i++) expect((await client('198.51.100.7')).status).toBe(401);
    expect((await client('198.51.100.7')).status).toBe(429);
    expect((await client('198.51.100.8')).status).toBe(401);
    // the client's own claim under our internal header changes nothing
    const spoof = await signInAttempt(proxied, email, {
      'fly-client-ip': '198.51.100.7',
      'x-kiloclaw-client-ip': '192.0.2.1',
    });
    expect(spoof.status).toBe(429);
  });
});

describe('per-user throttles', () => {
  it('lets a user make the allowed number of instance actions a minute, then answers TOO_MANY_REQUESTS with when to retry', async () => {
    const u = await signUp(a.url);
    await u.trpc.kiloclaw.startTrial.mutate();
    const limit = THROTTLES.instanceAction.limit;
    // stop without an instance is a quick NOT_FOUND: it still counts as an action
    for (let i = 0; i < limit; i++) {
      const err = await trpcError(u.trpc.kiloclaw.stopInstance.mutate());
      expect(err.data?.code).toBe('NOT_FOUND');
    }
    const err = await trpcError(u.trpc.kiloclaw.stopInstance.mutate());
    expect(err.data?.code).toBe('TOO_MANY_REQUESTS');
    expect(err.message).toMatch(/^Too many instance actions — wait \d+ s and try again\.$/);
    const data = err.data as { reason?: string; retryAfterS?: number };
    expect(data.reason).toBe('rate_limited');
    expect(data.retryAfterS).toBeGreaterThan(0);
    expect(data.retryAfterS).toBeLessThanOrEqual(60);

    const raw = await fetch(`${b.url}/api/trpc/kiloclaw.startInstance`, {
      method: 'POST',
      headers: { cookie: u.cookie, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
    // reads are not throttled
    await expect(u.trpc.kiloclaw.getInstanceStatus.query()).resolves.toBeDefined();
  });

  it('lets exactly the limit through when a user fires approvals at two replicas at once', async () => {
    const u = await signUp(a.url);
    await u.trpc.kiloclaw.startTrial.mutate();
    const other = await signUp(b.url);
    await other.trpc.kiloclaw.startTrial.mutate();
    const limit = THROTTLES.approval.limit;
    const viaB = trpcClient(b.url, u.cookie);
    const calls = Array.from({ length: limit + 10 }, (_, i) =>
      (i % 2 ? viaB : u.trpc).kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code: 'ABCD2345' }),
    );
    const codes = (await Promise.allSettled(calls)).map((r) =>
      r.status === 'rejected' && r.reason instanceof TRPCClientError ? r.reason.data?.code : 'OK',
    );
    expect(codes.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(10);
    expect(codes.filter((c) => c === 'OK')).toHaveLength(limit);
    // another user's budget is their own
    await expect(
      other.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code: 'ABCD2345' }),
    ).resolves.toBeDefined();
  });

  it('starts a fresh window once the old one has run out', async () => {
    const rule = { limit: 2, windowMs: 60_000, what: 'tries' };
    const t0 = new Date('2026-01-01T00:00:00Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    await takeThrottle(tdb.db, 'test:window', rule, at(0));
    await takeThrottle(tdb.db, 'test:window', rule, at(10));
    const err = await takeThrottle(tdb.db, 'test:window', rule, at(15)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Throttled);
    expect((err as Throttled).retryAfterS).toBe(45);
    await expect(takeThrottle(tdb.db, 'test:window', rule, at(60))).resolves.toBeUndefined();
  });
});
