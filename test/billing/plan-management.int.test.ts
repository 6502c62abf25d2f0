// Subscribing, canceling, reactivating and switching plans end to end: tRPC over HTTP → the Stripe SDK →
// the Stripe emulator → signed webhooks → PostgreSQL → what the user sees.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawEmailLog, kiloclawSubscriptions } from '@/db/schema';
import { DAY_MS } from '@/platform/clock';
import { startTestApp, type TestApp } from '../harness/app';
import { type BillingWorld, payOnCheckoutPage, startBillingWorld } from '../harness/billing';
import { signUp, type TestUser, trpcClient, trpcError } from '../harness/client';
import { eventually } from '../harness/eventually';

let w: BillingWorld;
beforeAll(async () => {
  w = await startBillingWorld();
});
afterAll(async () => {
  await w?.close();
});

async function subscribe(u: TestUser, plan: 'standard' | 'commit' = 'standard') {
  const { url } = await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan });
  await payOnCheckoutPage(url);
  await eventually(
    async () => {
      expect(await u.trpc.kiloclaw.getBillingStatus.query()).toMatchObject({ status: 'active', plan });
      return true;
    },
    { what: `an active ${plan} plan` },
  );
}

const row = async (userId: string) =>
  (await w.tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId)))[0];
const reason = (err: { data?: unknown }) => (err.data as { reason?: string } | undefined)?.reason;

describe('subscribing through checkout', () => {
  it('grants access within 2 s of pressing Pay on the checkout page', async () => {
    const u = await signUp(w.app.url);
    expect((await trpcError(u.trpc.kiloclaw.getInstanceStatus.query())).data?.code).toBe('FORBIDDEN');

    const { url } = await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'standard' });
    expect(url.startsWith(w.emu.url)).toBe(true);
    const paidAt = Date.now();
    const { redirectedTo } = await payOnCheckoutPage(url);
    expect(redirectedTo).toMatch(new RegExp(`^${w.app.url}/billing\\?checkout=success&session_id=cs_`));

    await eventually(() => u.trpc.kiloclaw.getInstanceStatus.query(), {
      timeoutMs: 2_000,
      intervalMs: 10,
      what: 'access',
    });
    const waitedMs = Date.now() - paidAt;
    console.log(`access granted ${waitedMs} ms after paying`);
    expect(waitedMs).toBeLessThan(2_000);

    const s = await u.trpc.kiloclaw.getBillingStatus.query();
    expect(s).toMatchObject({
      status: 'active',
      plan: 'standard',
      cancelAtPeriodEnd: false,
      hasStripeCustomer: true,
      access: { allowed: true },
    });
    const periodDays = (s.currentPeriodEnd!.getTime() - s.currentPeriodStart!.getTime()) / DAY_MS;
    expect(periodDays).toBeGreaterThanOrEqual(28);
    expect(periodDays).toBeLessThanOrEqual(31);
  });

  it('refuses a second subscription with CONFLICT and opens no checkout', async () => {
    const u = await signUp(w.app.url);
    await subscribe(u);
    const sessionsBefore = w.emu.state.sessions.size;
    const err = await trpcError(u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'commit' }));
    expect(err.data?.code).toBe('CONFLICT');
    expect(reason(err)).toBe('subscription_exists');
    expect(err.message).toMatch(/already have an active subscription/);
    expect(w.emu.state.sessions.size).toBe(sessionsBefore);
  });

  it('rejects an unknown plan with BAD_REQUEST naming the plans', async () => {
    const u = await signUp(w.app.url);
    const err = await trpcError(u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'gold' as never }));
    expect(err.data?.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(err.data)).toMatch(/standard or commit/);
  });

  it('sells earlybird access once, through a payment-mode checkout', async () => {
    const u = await signUp(w.app.url);
    const { url } = await u.trpc.kiloclaw.createEarlybirdCheckout.mutate();
    await payOnCheckoutPage(url);
    await eventually(() => u.trpc.kiloclaw.getInstanceStatus.query(), { what: 'access' });
    const s = await u.trpc.kiloclaw.getBillingStatus.query();
    expect(s.earlybirdExpiresAt?.toISOString()).toBe(new Date(w.app.deps.config.EARLYBIRD_EXPIRES_AT).toISOString());
    const err = await trpcError(u.trpc.kiloclaw.createEarlybirdCheckout.mutate());
    expect([err.data?.code, reason(err)]).toEqual(['CONFLICT', 'earlybird_owned']);
  });
});

describe('cancel and reactivate', () => {
  it('keeps access until the period ends, then ends the subscription and access', async () => {
    const u = await signUp(w.app.url);
    await subscribe(u);
    const canceled = await u.trpc.kiloclaw.cancelSubscription.mutate();
    expect(canceled.cancelAtPeriodEnd).toBe(true);
    expect(await u.trpc.kiloclaw.getBillingStatus.query()).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    await expect(u.trpc.kiloclaw.getInstanceStatus.query()).resolves.toBeTruthy();

    w.emu.advanceTime(32 * DAY_MS);
    await w.emu.webhooksIdle();
    expect(await u.trpc.kiloclaw.getBillingStatus.query()).toMatchObject({
      status: 'canceled',
      access: { allowed: false, reason: 'subscription_ended' },
    });
    const err = await trpcError(u.trpc.kiloclaw.getInstanceStatus.query());
    expect([err.data?.code, reason(err)]).toEqual(['FORBIDDEN', 'subscription_ended']);
  });

  it('reactivating before the period ends keeps the subscription renewing', async () => {
    const u = await signUp(w.app.url);
    await subscribe(u);
    await u.trpc.kiloclaw.cancelSubscription.mutate();
    const r = await u.trpc.kiloclaw.reactivateSubscription.mutate();
    expect(r.cancelAtPeriodEnd).toBe(false);
    const before = await u.trpc.kiloclaw.getBillingStatus.query();

    w.emu.advanceTime(32 * DAY_MS);
    await w.emu.webhooksIdle();
    const after = await u.trpc.kiloclaw.getBillingStatus.query();
    expect(after).toMatchObject({ status: 'active', cancelAtPeriodEnd: false });
    expect(after.currentPeriodEnd!.getTime()).toBeGreaterThan(before.currentPeriodEnd!.getTime());
  });

  it('answers PRECONDITION_FAILED to reactivate without a pending cancel, and to cancel without a subscription', async () => {
    const u = await signUp(w.app.url);
    const noSub = await trpcError(u.trpc.kiloclaw.cancelSubscription.mutate());
    expect([noSub.data?.code, reason(noSub)]).toEqual(['PRECONDITION_FAILED', 'no_active_subscription']);
    await subscribe(u);
    const err = await trpcError(u.trpc.kiloclaw.reactivateSubscription.mutate());
    expect([err.data?.code, reason(err)]).toEqual(['PRECONDITION_FAILED', 'not_pending_cancel']);
  });
});

describe('switching plans', () => {
  it('switches at the end of the period through a schedule, and shows the pending switch until then', async () => {
    const u = await signUp(w.app.url);
    await subscribe(u, 'standard');
    const same = await trpcError(u.trpc.kiloclaw.switchPlan.mutate({ plan: 'standard' }));
    expect([same.data?.code, reason(same)]).toEqual(['PRECONDITION_FAILED', 'same_plan']);

    expect(await u.trpc.kiloclaw.switchPlan.mutate({ plan: 'commit' })).toMatchObject({ scheduledPlan: 'commit' });
    await w.emu.webhooksIdle();
    expect(await u.trpc.kiloclaw.getBillingStatus.query()).toMatchObject({ plan: 'standard', scheduledPlan: 'commit' });

    w.emu.advanceTime(32 * DAY_MS);
    await w.emu.webhooksIdle();
    const s = await u.trpc.kiloclaw.getBillingStatus.query();
    expect(s).toMatchObject({ status: 'active', plan: 'commit', scheduledPlan: null });
    const months = (s.currentPeriodEnd!.getTime() - s.currentPeriodStart!.getTime()) / (30 * DAY_MS);
    expect(Math.round(months)).toBe(6);
  });

  it('cancelPlanSwitch keeps the current plan past the period end', async () => {
    const u = await signUp(w.app.url);
    await subscribe(u, 'standard');
    await u.trpc.kiloclaw.switchPlan.mutate({ plan: 'commit' });
    expect(await u.trpc.kiloclaw.cancelPlanSwitch.mutate()).toMatchObject({ scheduledPlan: null });
    const again = await trpcError(u.trpc.kiloclaw.cancelPlanSwitch.mutate());
    expect([again.data?.code, reason(again)]).toEqual(['PRECONDITION_FAILED', 'no_scheduled_switch']);

    w.emu.advanceTime(32 * DAY_MS);
    await w.emu.webhooksIdle();
    expect(await u.trpc.kiloclaw.getBillingStatus.query()).toMatchObject({
      status: 'active',
      plan: 'standard',
      scheduledPlan: null,
    });
  });

  it('canceling drops a pending plan switch (Stripe refuses to cancel a scheduled subscription directly)', async () => {
    const u = await signUp(w.app.url);
    await subscribe(u, 'standard');
    await u.trpc.kiloclaw.switchPlan.mutate({ plan: 'commit' });
    expect(await u.trpc.kiloclaw.cancelSubscription.mutate()).toMatchObject({
      cancelAtPeriodEnd: true,
      scheduledPlan: null,
    });
    const err = await trpcError(u.trpc.kiloclaw.switchPlan.mutate({ plan: 'commit' }));
    expect([err.data?.code, reason(err)]).toEqual(['PRECONDITION_FAILED', 'pending_cancel']);
  });
});

describe('reactivation after suspension', () => {
  it('subscribing again clears suspended_at, re-arms the emails and resumes the instance', async () => {
    const u = await signUp(w.app.url);
    await subscribe(u);
    await u.trpc.kiloclaw.cancelSubscription.mutate();
    w.emu.advanceTime(32 * DAY_MS);
    await w.emu.webhooksIdle();
    // what the lifecycle cron does to a lapsed subscriber
    const suspendedAt = new Date();
    await w.tdb.db
      .update(kiloclawSubscriptions)
      .set({ suspendedAt, destructionDeadline: new Date(suspendedAt.getTime() + 7 * DAY_MS) })
      .where(eq(kiloclawSubscriptions.userId, u.id));
    await w.tdb.db.insert(kiloclawEmailLog).values({ userId: u.id, emailType: 'subscription_expired' });
    expect((await u.trpc.kiloclaw.getBillingStatus.query()).access).toEqual({ allowed: false, reason: 'suspended' });

    await subscribe(u, 'commit');
    await eventually(() => w.actions.calls.some((c) => c.action === 'resume' && c.userId === u.id), {
      what: 'a resume',
    });
    expect(w.actions.calls).toContainEqual({ action: 'resume', userId: u.id });
    const r = await row(u.id);
    expect(r).toMatchObject({ status: 'active', plan: 'commit', suspendedAt: null, destructionDeadline: null });
    expect(await w.tdb.db.select().from(kiloclawEmailLog).where(eq(kiloclawEmailLog.userId, u.id))).toEqual([]);
    await expect(u.trpc.kiloclaw.getInstanceStatus.query()).resolves.toBeTruthy();
  });

  it('paying a past-due invoice clears a past-due suspension', async () => {
    const u = await signUp(w.app.url);
    await subscribe(u);
    const subId = (await row(u.id))!.stripeSubscriptionId!;
    w.emu.failRenewals(subId);
    w.emu.advanceTime(32 * DAY_MS);
    await w.emu.webhooksIdle();
    const pastDue = await row(u.id);
    expect(pastDue).toMatchObject({ status: 'past_due' });
    expect(pastDue!.pastDueSince).toBeInstanceOf(Date);
    await w.tdb.db
      .update(kiloclawSubscriptions)
      .set({ suspendedAt: new Date() })
      .where(eq(kiloclawSubscriptions.userId, u.id));

    w.emu.payOutstanding(subId);
    await w.emu.webhooksIdle();
    expect(await row(u.id)).toMatchObject({ status: 'active', suspendedAt: null, pastDueSince: null });
    expect(w.actions.calls).toContainEqual({ action: 'resume', userId: u.id });
  });
});

describe('billing portal and Stripe outages', () => {
  it('opens the portal for a customer, and explains when there is none', async () => {
    const u = await signUp(w.app.url);
    const err = await trpcError(u.trpc.kiloclaw.createBillingPortalSession.mutate());
    expect([err.data?.code, reason(err)]).toEqual(['PRECONDITION_FAILED', 'no_billing_account']);
    await subscribe(u);
    const { url } = await u.trpc.kiloclaw.createBillingPortalSession.mutate();
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Standard: active/);
  });

  it('answers a retryable SERVICE_UNAVAILABLE when Stripe is down, and writes nothing', async () => {
    const u = await signUp(w.app.url);
    await subscribe(u);
    await w.emu.webhooksIdle(); // a re-read stamps the row with Stripe's answer time: let every one land
    const before = await row(u.id);
    // the same database and sessions, but a Stripe that refuses connections
    const down: TestApp = await startTestApp({
      db: w.tdb.db,
      env: {
        STRIPE_SECRET_KEY: w.emu.secretKey,
        STRIPE_WEBHOOK_SECRET: w.emu.webhookSecret,
        STRIPE_API_BASE: 'http://127.0.0.1:9',
      },
    });
    try {
      const client = trpcClient(down.url, u.cookie);
      for (const call of [
        () => client.kiloclaw.cancelSubscription.mutate(),
        () => client.kiloclaw.switchPlan.mutate({ plan: 'commit' }),
      ]) {
        const err = await trpcError(call());
        expect([err.data?.code, reason(err)]).toEqual(['SERVICE_UNAVAILABLE', 'payment_provider_unavailable']);
        expect(err.message).toMatch(/try again/);
      }
      const fresh = await signUp(down.url);
      const err = await trpcError(fresh.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'standard' }));
      expect(err.data?.code).toBe('SERVICE_UNAVAILABLE');
      expect(await row(fresh.id)).toBeUndefined();
      expect(await row(u.id)).toEqual(before);
    } finally {
      await down.close();
    }
  });
});
