// Every payment grants what it bought, and nothing bills twice — through the real tRPC HTTP app, the
// Stripe emulator (checkout, async payments, refunds) and PostgreSQL.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destructionSweep } from '@/billing/lifecycle/destruction-sweep';
import { kiloclawEarlybirdPurchases, kiloclawEmailLog, kiloclawSubscriptions, stripeWebhookEvents } from '@/db/schema';
import { DAY_MS } from '@/platform/clock';
import { type BillingWorld, payOnCheckoutPage, startBillingWorld } from '../harness/billing';
import { signUp, type TestUser, trpcError } from '../harness/client';
import { lifecycleDeps } from '../harness/cron-fixtures';
import { eventually } from '../harness/eventually';

// The app's clock runs `shift` ms ahead of real time (the emulator's clock moves separately).
let shift = 0;
const clock = { now: () => new Date(Date.now() + shift) };
const EARLYBIRD_ENDS = new Date(Date.now() + 30 * DAY_MS);

let w: BillingWorld;
beforeAll(async () => {
  w = await startBillingWorld({ clock, env: { EARLYBIRD_EXPIRES_AT: EARLYBIRD_ENDS.toISOString() } });
});
afterAll(async () => {
  await w?.close();
});

const reason = (err: { data?: unknown }) => (err.data as { reason?: string } | undefined)?.reason;
const rowOf = async (userId: string) =>
  (await w.tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId)))[0] ?? null;
const sessionIdOf = (url: string) => new URL(url).pathname.split('/').pop()!;
const emailsOf = async (userId: string) =>
  (await w.tdb.db.select().from(kiloclawEmailLog).where(eq(kiloclawEmailLog.userId, userId))).map((r) => r.emailType);
const purchasesOf = (userId: string) =>
  w.tdb.db.select().from(kiloclawEarlybirdPurchases).where(eq(kiloclawEarlybirdPurchases.userId, userId));

/** A user whose trial ended and whom the cron suspended `daysAgo` days ago (destruction in 7 − daysAgo days). */
async function suspendedAfterTrial(daysAgo: number): Promise<TestUser> {
  const u = await signUp(w.app.url);
  const now = Date.now();
  await w.tdb.db.insert(kiloclawSubscriptions).values({
    userId: u.id,
    status: 'trialing',
    trialStartedAt: new Date(now - (daysAgo + 7) * DAY_MS),
    trialEndsAt: new Date(now - daysAgo * DAY_MS),
    suspendedAt: new Date(now - daysAgo * DAY_MS),
    destructionDeadline: new Date(now + (7 - daysAgo) * DAY_MS),
    updatedAt: new Date(now - daysAgo * DAY_MS),
  });
  await w.tdb.db.insert(kiloclawEmailLog).values([
    { userId: u.id, emailType: 'trial_expired', sentAt: new Date(now - daysAgo * DAY_MS) },
    { userId: u.id, emailType: 'destruction_warning', sentAt: new Date(now - DAY_MS) },
  ]);
  return u;
}

describe('earlybird bought while suspended', () => {
  it('lifts the suspension and the destruction deadline, re-arms the lapse emails and resumes the instance', async () => {
    const u = await suspendedAfterTrial(6);
    expect(reason(await trpcError(u.trpc.kiloclaw.getInstanceStatus.query()))).toBe('suspended');

    const { url } = await u.trpc.kiloclaw.createEarlybirdCheckout.mutate();
    // the page polls while the webhook commits: no answer may show the purchase and the suspension together
    const seen: Array<{ earlybird: boolean; suspended: boolean }> = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const s = await u.trpc.kiloclaw.getBillingStatus.query();
        seen.push({ earlybird: s.earlybirdExpiresAt !== null, suspended: s.suspendedAt !== null });
      }
    })();
    await payOnCheckoutPage(url);
    await eventually(async () => (await purchasesOf(u.id)).length === 1, { what: 'the earlybird purchase recorded' });
    polling = false;
    await poller;
    expect(seen.filter((x) => x.earlybird && x.suspended)).toEqual([]);

    expect(await rowOf(u.id)).toMatchObject({ suspendedAt: null, destructionDeadline: null });
    expect(await emailsOf(u.id)).not.toContain('destruction_warning');
    const status = await u.trpc.kiloclaw.getBillingStatus.query();
    expect(status.access).toEqual({ allowed: true });
    await eventually(() => w.actions.calls.some((c) => c.action === 'resume' && c.userId === u.id), {
      what: 'the instance resumed after commit',
    });

    // the destruction sweep, run past the old deadline, leaves them alone
    const deps = { ...lifecycleDeps({ db: w.tdb.db, mailer: w.app.deps.mailer }) };
    await destructionSweep({ deps, now: new Date(Date.now() + 2 * DAY_MS) });
    expect(deps.instanceActions.calls).toEqual([]);
  });

  it('the destruction sweep never destroys a user whose earlybird covers them, even if still marked suspended', async () => {
    const u = await suspendedAfterTrial(8); // deadline passed a day ago
    await w.tdb.db.insert(kiloclawEarlybirdPurchases).values({
      userId: u.id,
      stripeCheckoutSessionId: `cs_direct_${u.id}`,
      expiresAt: EARLYBIRD_ENDS,
      purchasedAt: new Date(),
    });
    const deps = lifecycleDeps({ db: w.tdb.db, mailer: w.app.deps.mailer });
    const report = await destructionSweep({ deps, now: new Date() });
    expect(deps.instanceActions.calls.filter((c) => c.userId === u.id)).toEqual([]);
    expect(report.actioned).toBe(0);
    expect((await rowOf(u.id))?.destructionDeadline).not.toBeNull();
  });
});

describe('asynchronous payments', () => {
  it('an incomplete subscription never replaces a running trial; it takes over once paid', async () => {
    const u = await signUp(w.app.url);
    await u.trpc.kiloclaw.startTrial.mutate();
    const { url } = await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'standard' });
    const sessionId = sessionIdOf(url);
    w.emu.completeCheckout(sessionId, { async: true });
    await w.emu.webhooksIdle();
    expect(await rowOf(u.id)).toMatchObject({ status: 'trialing', stripeSubscriptionId: null });
    expect((await u.trpc.kiloclaw.getBillingStatus.query()).access).toEqual({ allowed: true });

    w.emu.settleAsyncPayment(sessionId, true);
    await w.emu.webhooksIdle();
    expect(await rowOf(u.id)).toMatchObject({ status: 'active', plan: 'standard' });
  });

  it('an incomplete subscription never replaces a live one', async () => {
    const u = await signUp(w.app.url);
    const first = await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'standard' });
    await payOnCheckoutPage(first.url);
    await eventually(async () => (await rowOf(u.id))?.status === 'active', { what: 'the first subscription live' });
    const live = (await rowOf(u.id))!.stripeSubscriptionId;
    // a session another server opened a moment before: paid by bank debit, still pending
    const stripe = w.app.deps.stripe!;
    const other = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: (await rowOf(u.id))!.stripeCustomerId!,
      client_reference_id: u.id,
      line_items: [{ price: w.app.deps.config.STRIPE_PRICE_COMMIT, quantity: 1 }],
      subscription_data: { metadata: { userId: u.id, plan: 'commit' } },
      success_url: `${w.app.url}/billing`,
    });
    w.emu.completeCheckout(other.id, { async: true });
    await w.emu.webhooksIdle();
    expect(await rowOf(u.id)).toMatchObject({ status: 'active', plan: 'standard', stripeSubscriptionId: live });
  });

  it('earlybird paid by bank debit is granted when the payment succeeds, and not when it fails', async () => {
    const paid = await signUp(w.app.url);
    const failed = await signUp(w.app.url);
    const a = sessionIdOf((await paid.trpc.kiloclaw.createEarlybirdCheckout.mutate()).url);
    const b = sessionIdOf((await failed.trpc.kiloclaw.createEarlybirdCheckout.mutate()).url);
    w.emu.completeCheckout(a, { async: true });
    w.emu.completeCheckout(b, { async: true });
    await w.emu.webhooksIdle();
    expect(await purchasesOf(paid.id)).toHaveLength(0);
    // while the debit settles, buying again is refused (it would pay twice)
    const again = await trpcError(paid.trpc.kiloclaw.createEarlybirdCheckout.mutate());
    expect([again.data?.code, reason(again)]).toEqual(['CONFLICT', 'payment_pending']);

    w.emu.settleAsyncPayment(a, true);
    w.emu.settleAsyncPayment(b, false);
    await w.emu.webhooksIdle();
    expect(await purchasesOf(paid.id)).toHaveLength(1);
    expect((await paid.trpc.kiloclaw.getBillingStatus.query()).access).toEqual({ allowed: true });
    expect(await purchasesOf(failed.id)).toHaveLength(0);
    const receipts = await w.tdb.db
      .select({ type: stripeWebhookEvents.type, receipt: stripeWebhookEvents.receipt })
      .from(stripeWebhookEvents)
      .where(eq(stripeWebhookEvents.type, 'checkout.session.async_payment_failed'));
    expect(receipts.some((r) => r.receipt?.includes(b))).toBe(true);
  });
});

describe('nothing bills twice', () => {
  it('two checkout tabs get the same session; a plan change expires the other', async () => {
    const u = await signUp(w.app.url);
    const tab1 = await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'standard' });
    const tab2 = await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'standard' });
    expect(tab2.url).toBe(tab1.url);
    const tab3 = await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'commit' });
    expect(tab3.url).not.toBe(tab1.url);
    expect(w.emu.state.sessions.get(sessionIdOf(tab1.url))?.status).toBe('expired');
    await expect(payOnCheckoutPage(tab1.url)).rejects.toThrow();
  });

  it('two completed checkouts → one subscription still billing; the other cancelled and refunded', async () => {
    const u = await signUp(w.app.url);
    await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'standard' }); // makes the customer
    const customer = w.emu.state.sessions.get(
      [...w.emu.state.sessions.values()].find((s) => s.client_reference_id === u.id)!.id,
    )!.customer!;
    // two servers racing past the session reuse: two sessions, both paid
    const stripe = w.app.deps.stripe!;
    const open = () =>
      stripe.checkout.sessions.create({
        mode: 'subscription',
        customer,
        client_reference_id: u.id,
        line_items: [{ price: w.app.deps.config.STRIPE_PRICE_STANDARD, quantity: 1 }],
        subscription_data: { metadata: { userId: u.id, plan: 'standard' } },
        success_url: `${w.app.url}/billing`,
      });
    const [s1, s2] = [await open(), await open()];
    w.emu.completeCheckout(s1.id);
    w.emu.completeCheckout(s2.id);

    await eventually(
      () => {
        const subs = [...w.emu.state.subscriptions.values()].filter((s) => s.customer === customer);
        expect(subs).toHaveLength(2);
        expect(subs.filter((s) => s.status === 'active')).toHaveLength(1);
        return true;
      },
      { what: 'one subscription left billing at Stripe' },
    );
    await w.emu.webhooksIdle();
    const subs = [...w.emu.state.subscriptions.values()].filter((s) => s.customer === customer);
    const live = subs.find((s) => s.status === 'active')!;
    const dup = subs.find((s) => s.status === 'canceled')!;
    expect(await rowOf(u.id)).toMatchObject({ status: 'active', stripeSubscriptionId: live.id });
    const refunds = [...w.emu.state.refunds.values()];
    const dupPayment = w.emu.state.invoicePayments.get(dup.latest_invoice!);
    expect(refunds.filter((r) => r.payment_intent === dupPayment)).toHaveLength(1);
    const receipts = await w.tdb.db.select({ receipt: stripeWebhookEvents.receipt }).from(stripeWebhookEvents);
    expect(receipts.some((r) => r.receipt?.startsWith(`duplicate: ${dup.id}`))).toBe(true);
  });
});

describe('earlybird after its end date', () => {
  it('is refused with earlybird_closed, and the billing status says it is off sale', async () => {
    const u = await signUp(w.app.url);
    shift = 31 * DAY_MS;
    try {
      const err = await trpcError(u.trpc.kiloclaw.createEarlybirdCheckout.mutate());
      expect([err.data?.code, reason(err)]).toEqual(['PRECONDITION_FAILED', 'earlybird_closed']);
      expect((await u.trpc.kiloclaw.getBillingStatus.query()).earlybirdOnSale).toBe(false);
    } finally {
      shift = 0;
    }
    expect((await u.trpc.kiloclaw.getBillingStatus.query()).earlybirdOnSale).toBe(true);
  });

  // last in the file: it moves the emulator's clock past the cutoff
  it('a session opened before the cutoff and paid after it is refunded at Stripe and the user told', async () => {
    const u = await signUp(w.app.url);
    const { url } = await u.trpc.kiloclaw.createEarlybirdCheckout.mutate();
    w.emu.advanceTime(31 * DAY_MS);
    await payOnCheckoutPage(url);
    await eventually(async () => (await emailsOf(u.id)).includes('earlybird_refunded'), {
      what: 'the refund email logged',
    });
    expect(await purchasesOf(u.id)).toHaveLength(0);
    const pi = w.emu.state.sessions.get(sessionIdOf(url))!.payment_intent!;
    const refunds = [...w.emu.state.refunds.values()].filter((r) => r.payment_intent === pi);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ object: 'refund', status: 'succeeded', amount: 4900 });
  });
});
