// Every door that reads a body reads at most its cap: a declared Content-Length over the cap is
// refused before reading, a body streamed without one is cut off at the cap, and the cap counts bytes.
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '@/db/schema';
import { MAX_BATCH_SIZE } from '@/server/batch-size';
import { BODY_LIMITS } from '@/server/http/body-limit';
import { type AppWorld, startAppWorld, TEST_SECRETS } from '../harness/app';
import { signUp, uniqueEmail } from '../harness/client';
import { bytes, rawRequest } from './raw-http';

let w: AppWorld;
beforeAll(async () => {
  w = await startAppWorld();
});
afterAll(async () => {
  await w?.close();
});

const EIGHT_MB = 8 * 1024 * 1024;

const doors = [
  { name: 'tRPC', path: '/api/trpc/kiloclaw.startTrial', limit: BODY_LIMITS.trpc },
  { name: 'auth', path: '/api/auth/sign-up/email', limit: BODY_LIMITS.auth },
  { name: 'Stripe webhook', path: '/api/stripe/webhook', limit: BODY_LIMITS.stripeWebhook },
  { name: 'cron', path: '/api/cron/billing-lifecycle', limit: BODY_LIMITS.cron },
] as const;

const userCount = async () => (await w.tdb.db.select({ n: count() }).from(users))[0]!.n;

describe('body caps on every door', () => {
  for (const door of doors) {
    it(`refuses an 8 MB body on the ${door.name} route by its Content-Length, with a 413 in words`, async () => {
      const res = await rawRequest(`${w.app.url}${door.path}`, {
        headers: {
          'content-type': 'application/json',
          'content-length': String(EIGHT_MB),
          origin: w.app.url,
          authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}`,
        },
        chunks: bytes(EIGHT_MB),
      });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).error).toBe(
        `Request body too large: this endpoint accepts at most ${door.limit} bytes.`,
      );
    });

    it(`cuts off a chunked ${door.name} body without a Content-Length at the cap`, async () => {
      const res = await rawRequest(`${w.app.url}${door.path}`, {
        headers: {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
          origin: w.app.url,
          authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}`,
        },
        chunks: bytes(door.limit + 1),
      });
      expect(res.status).toBe(413);
    });
  }

  it('counts bytes, not characters: a sign-up under the cap in characters but over it in bytes is refused', async () => {
    const before = await userCount();
    // 'é' is two bytes in UTF-8: this name is half the cap in characters and just over it in bytes
    const name = 'é'.repeat(BODY_LIMITS.auth / 2 + 1);
    const body = JSON.stringify({ email: uniqueEmail('bytes'), password: 'a-long-password', name });
    expect(body.length).toBeLessThan(BODY_LIMITS.auth + 100);
    const res = await rawRequest(`${w.app.url}/api/auth/sign-up/email`, {
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', origin: w.app.url },
      chunks: [body],
    });
    expect(res.status).toBe(413);
    expect(await userCount()).toBe(before);
  });

  it('writes nothing when a sign-up body is too large', async () => {
    const before = await userCount();
    const email = uniqueEmail('big');
    const res = await fetch(`${w.app.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: w.app.url },
      body: JSON.stringify({ email, password: 'a-long-password', name: 'x'.repeat(100_000) }),
    });
    expect(res.status).toBe(413);
    expect(await userCount()).toBe(before);
  });

  it('still serves bodies under the caps', async () => {
    const u = await signUp(w.app.url);
    expect(await u.trpc.kiloclaw.startTrial.mutate()).toMatchObject({ trialEndsAt: expect.any(Date) });
  });
});

describe('tRPC batches', () => {
  const batchUrl = (n: number) =>
    `${w.app.url}/api/trpc/${Array.from({ length: n }, () => 'kiloclaw.getBillingStatus').join(',')}?batch=1&input=${encodeURIComponent(
      JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]))),
    )}`;

  it(`answers a batch of ${MAX_BATCH_SIZE} calls, what the dashboard may send at most`, async () => {
    const u = await signUp(w.app.url);
    const res = await fetch(batchUrl(MAX_BATCH_SIZE), { headers: { cookie: u.cookie } });
    expect(res.status).toBe(200);
    expect((await res.json()) as unknown[]).toHaveLength(MAX_BATCH_SIZE);
  });

  it('refuses a batch of 200 calls with a 400 that says the limit, without running any of them', async () => {
    const u = await signUp(w.app.url);
    const res = await fetch(batchUrl(200), { headers: { cookie: u.cookie } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Array<{ error: { json: { message: string; data: { code: string } } } }>;
    const first = Array.isArray(body) ? body[0]! : (body as unknown as (typeof body)[0]);
    expect(first.error.json.data.code).toBe('BAD_REQUEST');
    expect(first.error.json.message).toBe(
      `Too many calls in one request: a batch may hold at most ${MAX_BATCH_SIZE}. Send the rest in another request.`,
    );
  });
});
