// Many plan-management calls for one user at once (double clicks, several tabs), through the real
// tRPC HTTP app, the Stripe emulator and PostgreSQL: Stripe ends with one schedule, the row with one
// recorded effect, and every caller gets an answer that matches it.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawSubscriptions } from '@/db/schema';
import { type BillingWorld, payOnCheckoutPage, startBillingWorld } from '../harness/billing';
import { signUp, type TestUser } from '../harness/client';
import { eventually } from '../harness/eventually';

const CALLS = 10;
let w: BillingWorld;
beforeAll(async () => {
  w = await startBillingWorld();
});
afterAll(async () => {
  await w?.close();
});

async function subscribed(): Promise<TestUser> {
  const u = await signUp(w.app.url);
  const { url } = await u.trpc.kiloclaw.createSubscriptionCheckout.mutate({ plan: 'standard' });
  await payOnCheckoutPage(url);
  await eventually(
    async () => {
      expect(await u.trpc.kiloclaw.getBillingStatus.query()).toMatchObject({ status: 'active', plan: 'standard' });
      return true;
    },
    { what: 'the subscription recorded as active' },
  );
  return u;
}

const rowOf = async (userId: string) =>
  (await w.tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId)))[0]!;
const schedulesOf = (subscriptionId: string) =>
  [...w.emu.state.schedules.values()].filter((s) => s.subscription === subscriptionId);
const eventsOf = (type: string, subscriptionId: string) =>
  w.emu.state.events.filter(
    (e) => e.type === type && (e.data.object as { subscription?: string }).subscription === subscriptionId,
  );

describe(`${CALLS} concurrent plan calls for one user`, () => {
  it('switchPlan: one schedule at Stripe, recorded once, and every caller sees the switch', async () => {
    const u = await subscribed();
    const subscriptionId = (await rowOf(u.id)).stripeSubscriptionId!;

    const results = await Promise.allSettled(
      Array.from({ length: CALLS }, () => u.trpc.kiloclaw.switchPlan.mutate({ plan: 'commit' })),
    );
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    for (const r of results) if (r.status === 'fulfilled') expect(r.value).toMatchObject({ scheduledPlan: 'commit' });

    const schedules = schedulesOf(subscriptionId);
    expect(schedules).toHaveLength(1);
    expect(eventsOf('subscription_schedule.created', subscriptionId)).toHaveLength(1);
    await w.emu.webhooksIdle();
    expect(await rowOf(u.id)).toMatchObject({ stripeScheduleId: schedules[0]!.id, scheduledPlan: 'commit' });
    expect(await u.trpc.kiloclaw.getBillingStatus.query()).toMatchObject({ plan: 'standard', scheduledPlan: 'commit' });
  });

  it('cancelSubscription: one pending cancel, and every caller sees it', async () => {
    const u = await subscribed();
    const subscriptionId = (await rowOf(u.id)).stripeSubscriptionId!;

    const results = await Promise.allSettled(
      Array.from({ length: CALLS }, () => u.trpc.kiloclaw.cancelSubscription.mutate()),
    );
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    for (const r of results) if (r.status === 'fulfilled') expect(r.value).toMatchObject({ cancelAtPeriodEnd: true });

    expect(w.emu.state.subscriptions.get(subscriptionId)).toMatchObject({ cancel_at_period_end: true, schedule: null });
    await w.emu.webhooksIdle();
    expect(await rowOf(u.id)).toMatchObject({ cancelAtPeriodEnd: true, stripeScheduleId: null, status: 'active' });
  });

  it('switchPlan and cancelSubscription mixed: the row ends as Stripe ends', async () => {
    const u = await subscribed();
    const subscriptionId = (await rowOf(u.id)).stripeSubscriptionId!;

    await Promise.allSettled(
      Array.from({ length: CALLS }, (_, i) =>
        i % 2 === 0
          ? u.trpc.kiloclaw.switchPlan.mutate({ plan: 'commit' })
          : u.trpc.kiloclaw.cancelSubscription.mutate(),
      ),
    );
    expect(schedulesOf(subscriptionId).length).toBeLessThanOrEqual(1);
    await w.emu.webhooksIdle();
    const sub = w.emu.state.subscriptions.get(subscriptionId)!;
    const row = await rowOf(u.id);
    expect(row.cancelAtPeriodEnd).toBe(sub.cancel_at_period_end);
    expect(row.stripeScheduleId).toBe(sub.schedule ?? null);
    // a pending cancel and a pending switch never stand together (Stripe refuses it; so does the dashboard)
    expect(row.cancelAtPeriodEnd && row.scheduledPlan !== null).toBe(false);
  });
});

describe(`${CALLS} concurrent undo calls for one user`, () => {
  const outcomes = (results: PromiseSettledResult<unknown>[]) =>
    results.map((r) =>
      r.status === 'fulfilled' ? 'ok' : ((r.reason as { data?: { reason?: string } }).data?.reason ?? String(r.reason)),
    );

  // A click that lands after another already undid the cancel reads the new state and is told so
  // (not_pending_cancel / no_scheduled_switch): an answer that matches; never a second effect or a 500.
  it('reactivateSubscription: one change at Stripe, the row not pending cancel, every answer matches', async () => {
    const u = await subscribed();
    const subscriptionId = (await rowOf(u.id)).stripeSubscriptionId!;
    await u.trpc.kiloclaw.cancelSubscription.mutate();
    await w.emu.webhooksIdle();
    const undoEvents = () =>
      w.emu.state.events.filter(
        (e) =>
          e.type === 'customer.subscription.updated' &&
          (e.data.object as { id: string }).id === subscriptionId &&
          (e.data.previous_attributes as { cancel_at_period_end?: boolean } | undefined)?.cancel_at_period_end === true,
      );

    const results = await Promise.allSettled(
      Array.from({ length: CALLS }, () => u.trpc.kiloclaw.reactivateSubscription.mutate()),
    );
    for (const o of outcomes(results)) expect(['ok', 'not_pending_cancel']).toContain(o);
    expect(outcomes(results)).toContain('ok');
    for (const r of results) if (r.status === 'fulfilled') expect(r.value).toMatchObject({ cancelAtPeriodEnd: false });
    expect(undoEvents()).toHaveLength(1);
    await w.emu.webhooksIdle();
    expect(w.emu.state.subscriptions.get(subscriptionId)).toMatchObject({ cancel_at_period_end: false });
    expect(await rowOf(u.id)).toMatchObject({ cancelAtPeriodEnd: false, status: 'active' });
  });

  it('cancelPlanSwitch: the schedule released once, the switch cleared, every answer matches', async () => {
    const u = await subscribed();
    const subscriptionId = (await rowOf(u.id)).stripeSubscriptionId!;
    await u.trpc.kiloclaw.switchPlan.mutate({ plan: 'commit' });
    await w.emu.webhooksIdle();
    const [schedule] = schedulesOf(subscriptionId);

    const results = await Promise.allSettled(
      Array.from({ length: CALLS }, () => u.trpc.kiloclaw.cancelPlanSwitch.mutate()),
    );
    for (const o of outcomes(results)) expect(['ok', 'no_scheduled_switch']).toContain(o);
    expect(outcomes(results)).toContain('ok');
    for (const r of results) if (r.status === 'fulfilled') expect(r.value).toMatchObject({ scheduledPlan: null });
    expect(
      w.emu.state.events.filter(
        (e) => e.type === 'subscription_schedule.released' && (e.data.object as { id: string }).id === schedule!.id,
      ),
    ).toHaveLength(1);
    await w.emu.webhooksIdle();
    expect(w.emu.state.subscriptions.get(subscriptionId)).toMatchObject({ schedule: null });
    expect(await rowOf(u.id)).toMatchObject({ stripeScheduleId: null, scheduledPlan: null, plan: 'standard' });
  });
});
