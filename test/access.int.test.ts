// Each access reason through a real tRPC request over HTTP, against PostgreSQL.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawEarlybirdPurchases, kiloclawSubscriptions } from '@/db/schema';
import { DAY_MS, fixedClock } from '@/platform/clock';
import { type AppWorld, startAppWorld } from './harness/app';
import { signUp, type TestUser, trpcError } from './harness/client';

const clock = fixedClock('2026-11-28T12:00:00Z');
const at = (days: number) => new Date(clock.now().getTime() + days * DAY_MS);

let w: AppWorld;
beforeAll(async () => {
  w = await startAppWorld({ clock });
});
afterAll(async () => {
  await w?.close();
});

async function userWith(
  sub: Partial<typeof kiloclawSubscriptions.$inferInsert> | null,
  earlybirdDays?: number,
): Promise<TestUser> {
  const u = await signUp(w.app.url);
  if (sub) await w.tdb.db.insert(kiloclawSubscriptions).values({ status: 'active', ...sub, userId: u.id });
  if (earlybirdDays !== undefined) {
    await w.tdb.db.insert(kiloclawEarlybirdPurchases).values({
      userId: u.id,
      stripeCheckoutSessionId: `cs_${u.id}`,
      expiresAt: at(earlybirdDays),
    });
  }
  return u;
}

async function denial(u: TestUser) {
  const err = await trpcError(u.trpc.kiloclaw.getInstanceStatus.query());
  return {
    code: err.data?.code,
    httpStatus: err.data?.httpStatus,
    reason: (err.data as { reason?: string }).reason,
    message: err.message,
  };
}

describe('access to claw procedures', () => {
  it('answers 401 JSON without a session', async () => {
    const res = await fetch(`${w.app.url}/api/trpc/kiloclaw.getBillingStatus`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/json/);
    const body = await res.json();
    expect(body.error.json.data.code).toBe('UNAUTHORIZED');
  });

  it('lets a signed-in user read billing status with no plan (200)', async () => {
    const u = await userWith(null);
    const res = await fetch(`${w.app.url}/api/trpc/kiloclaw.getBillingStatus`, { headers: { cookie: u.cookie } });
    expect(res.status).toBe(200);
    const s = await u.trpc.kiloclaw.getBillingStatus.query();
    expect(s).toMatchObject({
      status: 'none',
      trialAvailable: true,
      access: { allowed: false, reason: 'no_subscription' },
    });
  });

  it.each([
    ['no_subscription', null, undefined],
    ['trial_expired', { status: 'trialing', trialStartedAt: at(-8), trialEndsAt: at(-1) }, undefined],
    ['subscription_ended', { status: 'canceled', plan: 'standard' }, undefined],
    ['subscription_ended', { status: 'unpaid', plan: 'standard' }, undefined],
    ['earlybird_expired', null, -1],
    ['suspended', { status: 'canceled', plan: 'standard', suspendedAt: at(-2) }, undefined],
    ['suspended', { status: 'active', plan: 'standard', suspendedAt: at(-2) }, undefined],
  ] as const)('forbids with reason %s', async (reason, sub, earlybird) => {
    const u = await userWith(sub as never, earlybird);
    const d = await denial(u);
    expect(d).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403, reason });
    expect(d.message.length).toBeGreaterThan(20); // a sentence a person can act on
  });

  it.each([
    ['an active subscription', { status: 'active', plan: 'standard' }, undefined],
    ['a past-due subscription in grace', { status: 'past_due', plan: 'standard', pastDueSince: at(-3) }, undefined],
    ['a running trial', { status: 'trialing', trialStartedAt: at(-1), trialEndsAt: at(6) }, undefined],
    ['earlybird access', null, 30],
  ] as const)('allows %s', async (_n, sub, earlybird) => {
    const u = await userWith(sub as never, earlybird);
    await expect(u.trpc.kiloclaw.getInstanceStatus.query()).resolves.toMatchObject({ status: 'none' });
  });

  it('follows the clock: a trial allows until its end, then forbids', async () => {
    const u = await signUp(w.app.url);
    const { trialEndsAt } = await u.trpc.kiloclaw.startTrial.mutate();
    expect(trialEndsAt.getTime()).toBe(at(7).getTime());
    await expect(u.trpc.kiloclaw.getInstanceStatus.query()).resolves.toBeTruthy();
    const saved = clock.now();
    clock.set(at(8));
    try {
      expect(await denial(u)).toMatchObject({ reason: 'trial_expired' });
    } finally {
      clock.set(saved);
    }
  });
});

describe('startTrial', () => {
  it('starts once per user and refuses a second time with CONFLICT', async () => {
    const u = await signUp(w.app.url);
    await u.trpc.kiloclaw.startTrial.mutate();
    const err = await trpcError(u.trpc.kiloclaw.startTrial.mutate());
    expect(err.data?.code).toBe('CONFLICT');
    expect((err.data as { reason?: string }).reason).toBe('trial_already_used');
  });

  it('gives exactly one trial to 10 concurrent requests', async () => {
    const u = await signUp(w.app.url);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => u.trpc.kiloclaw.startTrial.mutate()));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rows = await w.tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, u.id));
    expect(rows).toHaveLength(1);
  });

  it('cannot restart a trial over a canceled plan', async () => {
    const u = await userWith({ status: 'canceled', plan: 'standard' });
    const err = await trpcError(u.trpc.kiloclaw.startTrial.mutate());
    expect(err.data?.code).toBe('CONFLICT');
    const [row] = await w.tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, u.id));
    expect(row?.status).toBe('canceled');
  });
});
