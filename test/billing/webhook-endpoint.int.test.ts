// POST /api/stripe/webhook through real HTTP into PostgreSQL: what is accepted, what is refused, and
// that a refused or failed delivery writes nothing.
import { count, eq } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawSubscriptions, stripeWebhookEvents } from '@/db/schema';
import { type BillingWorld, postSignedEvent, startBillingWorld } from '../harness/billing';
import { stripeEvent, subscriptionObject } from '../harness/stripe-events';
import { makeUser } from '../harness/users';

let w: BillingWorld;
beforeAll(async () => {
  w = await startBillingWorld();
});
afterAll(async () => {
  await w?.close();
});

const nowS = () => Math.floor(Date.now() / 1000);
const post = (body: unknown, secret = w.emu.webhookSecret, t?: number) =>
  postSignedEvent(w.app.url, secret, typeof body === 'string' ? body : JSON.stringify(body), t);
const row = async (userId: string) =>
  (await w.tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId)))[0];
const eventRows = async (eventId: string) =>
  (await w.tdb.db.select({ n: count() }).from(stripeWebhookEvents).where(eq(stripeWebhookEvents.eventId, eventId)))[0]!
    .n;

describe('refused deliveries write nothing', () => {
  it('answers 400 to a signature made with another secret', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    const e = stripeEvent('customer.subscription.created', subscriptionObject({ userId }), nowS());
    const r = await post(e, 'whsec_not_the_right_secret');
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/No signatures found/);
    expect(await eventRows(e.id)).toBe(0);
    expect(await row(userId)).toBeUndefined();
  });

  it('answers 400 without a Stripe-Signature header', async () => {
    const res = await fetch(`${w.app.url}/api/stripe/webhook`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/Stripe-Signature/);
  });

  it('answers 400 to a correctly signed but stale delivery (replay older than 5 min)', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    const e = stripeEvent('customer.subscription.created', subscriptionObject({ userId }), nowS());
    const r = await post(e, w.emu.webhookSecret, nowS() - 600);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/tolerance/);
    expect(await eventRows(e.id)).toBe(0);
    expect(await row(userId)).toBeUndefined();
  });

  it('answers 400 to a signed body that is not JSON', async () => {
    const r = await post('{"id": "evt_1", "type": ');
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/not valid JSON/);
  });

  it('answers 400 to signed JSON that is not an event', async () => {
    const r = await post({ hello: 'world' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/not a Stripe event/);
  });

  it('answers 500 when a handler fails, so Stripe retries, and rolls everything back', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    await w.tdb.db.insert(kiloclawSubscriptions).values({
      userId,
      status: 'active',
      plan: 'standard',
      stripeCustomerId: `cus_${userId}`,
      stripeSubscriptionId: `sub_${userId}`,
    });
    const before = await row(userId);
    // invoice.paid makes us re-read the subscription from Stripe, which does not know it → the handler throws
    const invoice = {
      id: 'in_x',
      object: 'invoice',
      customer: `cus_${userId}`,
      parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_unknown_to_stripe' } },
    };
    const e = stripeEvent('invoice.paid', invoice, nowS());
    const r = await post(e);
    expect(r.status).toBe(500);
    expect(r.json.error).toMatch(/retried/);
    expect(await eventRows(e.id)).toBe(0); // the id is not burnt: the retry will be processed
    expect(await row(userId)).toEqual(before);
  });
});

describe('accepted deliveries', () => {
  it('acknowledges an event type we do not handle with 200 and a receipt', async () => {
    const e = stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge' }, nowS());
    const r = await post(e);
    expect(r.status).toBe(200);
    expect(r.json.receipt).toBe('ignored: event type charge.refunded is not handled');
    expect(await eventRows(e.id)).toBe(0);
  });

  it('applies an event once and acknowledges its redelivery as a duplicate', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    const e = stripeEvent('customer.subscription.created', subscriptionObject({ userId }), nowS());
    const first = await post(e);
    expect(first).toMatchObject({ status: 200, json: { receipt: expect.stringMatching(/→ active/) } });
    const again = await post(e);
    expect(again).toMatchObject({ status: 200, json: { receipt: 'ignored: duplicate event (already processed)' } });
    const [logged] = await w.tdb.db.select().from(stripeWebhookEvents).where(eq(stripeWebhookEvents.eventId, e.id));
    expect(logged).toMatchObject({ type: 'customer.subscription.created', receipt: first.json.receipt });
    expect(logged!.processedAt).toBeInstanceOf(Date);
  });

  it('never lets an older event overwrite newer state', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    const sub = subscriptionObject({ userId });
    const t = nowS();
    await post(stripeEvent('customer.subscription.updated', { ...sub, cancel_at_period_end: true }, t + 10));
    const stale = await post(
      stripeEvent('customer.subscription.updated', { ...sub, cancel_at_period_end: false }, t + 5),
    );
    expect(stale.json.receipt).toMatch(/^ignored: stale event/);
    expect(await row(userId)).toMatchObject({ cancelAtPeriodEnd: true, stripeStateAt: t + 10 });
  });

  it('re-reads the subscription from Stripe when two events share the same second', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    const stripe = w.app.deps.stripe!;
    const customer = await stripe.customers.create({ email: `${userId}@example.test` });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      client_reference_id: userId,
      line_items: [{ price: 'price_commit_6mo', quantity: 1 }],
      subscription_data: { metadata: { userId } },
      success_url: 'http://x/ok',
    });
    w.emu.holdWebhooks(true);
    try {
      w.emu.completeCheckout(session.id);
      const real = await stripe.subscriptions.retrieve(
        (await stripe.checkout.sessions.retrieve(session.id)).subscription as string,
      );
      const t = nowS();
      await post(stripeEvent('customer.subscription.updated', { ...real, cancel_at_period_end: true }, t));
      // same second, a snapshot that disagrees with both: which one is newer cannot be known → ask Stripe
      const tie = await post(stripeEvent('customer.subscription.updated', { ...real, status: 'past_due' }, t));
      expect(tie.status).toBe(200);
      expect(await row(userId)).toMatchObject({ status: 'active', plan: 'commit', cancelAtPeriodEnd: false });
    } finally {
      w.emu.holdWebhooks(false);
      await w.emu.webhooksIdle();
    }
  });

  it('keeps periods empty (and does not fail) when a subscription has no items', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    const r = await post(
      stripeEvent('customer.subscription.created', subscriptionObject({ userId, noItems: true }), nowS()),
    );
    expect(r.status).toBe(200);
    expect(await row(userId)).toMatchObject({ status: 'active', currentPeriodStart: null, currentPeriodEnd: null });
  });

  it.each([
    ['trialing', 'active'],
    ['incomplete', 'unpaid'],
    ['incomplete_expired', 'canceled'],
    ['paused', 'canceled'],
    ['past_due', 'past_due'],
    ['unpaid', 'unpaid'],
  ])('records Stripe status %s as %s', async (stripeStatus, ours) => {
    const { id: userId } = await makeUser(w.tdb.db);
    await post(
      stripeEvent('customer.subscription.updated', subscriptionObject({ userId, status: stripeStatus }), nowS()),
    );
    expect((await row(userId))?.status).toBe(ours);
  });

  it('records an earlybird purchase from a paid payment-mode checkout, once', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    const session = {
      id: `cs_${userId}`,
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'paid',
      client_reference_id: userId,
      metadata: { kind: 'earlybird', userId },
      payment_intent: 'pi_1',
      customer: null,
      subscription: null,
    };
    const r = await post(stripeEvent('checkout.session.completed', session, nowS()));
    expect(r.json.receipt).toMatch(/earlybird purchase recorded/);
    const again = await post(stripeEvent('checkout.session.completed', session, nowS()));
    expect(again.json.receipt).toMatch(/already recorded/);
  });

  it('rejects GET with 405', async () => {
    expect((await fetch(`${w.app.url}/api/stripe/webhook`)).status).toBe(405);
  });

  it('verifies with the same scheme as the Stripe SDK signs', async () => {
    const body = JSON.stringify(stripeEvent('charge.refunded', { id: 'ch_2', object: 'charge' }, nowS()));
    const header = await Stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret: w.emu.webhookSecret });
    const res = await fetch(`${w.app.url}/api/stripe/webhook`, {
      method: 'POST',
      headers: { 'stripe-signature': header },
      body,
    });
    expect(res.status).toBe(200);
  });
});
