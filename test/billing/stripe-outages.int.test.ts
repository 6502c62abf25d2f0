// A slow or failing Stripe: no database lock or connection is held while Stripe answers, a re-read is
// stamped with Stripe's answer time, and each kind of failure reaches the user as what it is.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawSubscriptions } from '@/db/schema';
import { type BillingWorld, payOnCheckoutPage, postSignedEvent, startBillingWorld } from '../harness/billing';
import { signUp, type TestUser, trpcError } from '../harness/client';
import { eventually } from '../harness/eventually';

const POOL = 10; // the production default (DATABASE_POOL_MAX)
let w: BillingWorld;
beforeAll(async () => {
  w = await startBillingWorld({ dbMax: POOL });
});
afterAll(async () => {
  w?.emu.holdApi(false);
  await w?.close();
});

const reason = (err: { data?: unknown }) => (err.data as { reason?: string } | undefined)?.reason;
const rowOf = async (userId: string) =>
  (await w.tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId)))[0]!;

async function subscribed(): Promise<TestUser> {
  const u = await signUp(w.app.url);
  const { url } = await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'standard' });
  await payOnCheckoutPage(url);
  await eventually(async () => (await rowOf(u.id))?.status === 'active', { what: 'the subscription recorded' });
  await w.emu.webhooksIdle();
  return u;
}

/** A signed invoice.paid for the subscription (the handler re-reads the subscription from Stripe). */
function invoicePaid(subscriptionId: string, customer: string, created: number) {
  return JSON.stringify({
    id: `evt_test_${Math.random().toString(36).slice(2)}`,
    object: 'event',
    type: 'invoice.paid',
    created,
    api_version: '2026-10-28.endive',
    livemode: false,
    data: {
      object: {
        id: `in_test_${Math.random().toString(36).slice(2)}`,
        object: 'invoice',
        customer,
        parent: { type: 'subscription_details', subscription_details: { subscription: subscriptionId, metadata: {} } },
      },
    },
  });
}

/** Resolves to 'stalled' if `p` has not settled within `ms` (the app is stuck, not slow: 10 s is generous). */
const orStalled = <T>(p: Promise<T>, ms = 10_000) =>
  Promise.race([p, new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), ms))]);

describe('a slow Stripe', () => {
  it(`${POOL + 2} webhooks waiting on Stripe hold no connection: other users' requests still go through`, async () => {
    const u = await subscribed();
    const other = await signUp(w.app.url);
    const row = await rowOf(u.id);
    w.emu.holdApi(true);
    const deliveries = Array.from({ length: POOL + 2 }, () =>
      postSignedEvent(
        w.app.url,
        w.emu.webhookSecret,
        invoicePaid(row.stripeSubscriptionId!, row.stripeCustomerId!, Math.floor(Date.now() / 1000)),
      ),
    );
    try {
      await eventually(() => w.emu.heldCalls() >= 1, { what: 'a webhook waiting on Stripe' });
      const status = await orStalled(other.trpc.kiloclaw.getBillingStatus.query());
      expect(status).not.toBe('stalled');
      expect(status).toMatchObject({ status: 'none' });
    } finally {
      w.emu.holdApi(false);
    }
    const outcomes = await Promise.all(deliveries);
    expect(outcomes.map((o) => o.status)).toEqual(Array(POOL + 2).fill(200));
  });

  it("a re-read is stamped with the time of Stripe's answer, not the event's", async () => {
    const u = await subscribed();
    const row = await rowOf(u.id);
    const eventCreated = Math.floor(Date.now() / 1000);
    w.emu.advanceTime(3_600_000); // Stripe answers an hour later than the event was created
    const answeredAt = Math.floor(w.emu.now().getTime() / 1000);
    const res = await postSignedEvent(
      w.app.url,
      w.emu.webhookSecret,
      invoicePaid(row.stripeSubscriptionId!, row.stripeCustomerId!, eventCreated),
    );
    expect(res.status).toBe(200);
    expect((await rowOf(u.id)).stripeStateAt).toBeGreaterThanOrEqual(answeredAt);
  });
});

describe('Stripe errors by class', () => {
  it('Stripe refusing the request (400) is a named PRECONDITION_FAILED with its reason, never "did not respond"', async () => {
    const u = await subscribed();
    const before = await rowOf(u.id);
    w.emu.failCalls({
      method: 'POST',
      path: /^\/v1\/subscriptions\/sub_/,
      kind: 'error',
      status: 400,
      type: 'invalid_request_error',
      message: 'This customer has no attached payment source or default payment method.',
      code: 'resource_missing',
    });
    const err = await trpcError(u.trpc.kiloclaw.cancelSubscription.mutate());
    expect([err.data?.code, reason(err)]).toEqual(['PRECONDITION_FAILED', 'payment_provider_refused']);
    expect(err.message).toContain('no attached payment source');
    expect(err.message).not.toMatch(/did not respond/);
    expect(await rowOf(u.id)).toEqual(before);
  });

  it.each([
    ['a 500 from Stripe', { kind: 'error', status: 500, type: 'api_error', message: 'Something went wrong.' }],
    // the SDK retries a connection closed on first use once (a stale keep-alive socket): drop both
    ['a dropped connection', { kind: 'drop', times: 2 }],
  ] as const)('%s is SERVICE_UNAVAILABLE: try again', async (_what, fault) => {
    const u = await subscribed();
    const before = await rowOf(u.id);
    w.emu.failCalls({ method: 'POST', path: /^\/v1\/subscriptions\/sub_/, ...fault });
    const err = await trpcError(u.trpc.kiloclaw.cancelSubscription.mutate());
    expect([err.data?.code, reason(err)]).toEqual(['SERVICE_UNAVAILABLE', 'payment_provider_unavailable']);
    expect(err.message).toMatch(/try again/i);
    expect(await rowOf(u.id)).toEqual(before);
  });
});
