// The reliability suite: concurrent duplicates, a whole shuffled history with duplicates, and the
// webhook racing the lifecycle cron's suspension — all against PostgreSQL through the real HTTP route.
import { and, count, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planForPriceId } from '@/billing/plans';
import { scheduledPlanOf } from '@/billing/scheduled-plan';
import { mapStripeStatus } from '@/billing/stripe-status';
import { kiloclawEmailLog, kiloclawSubscriptions, stripeWebhookEvents } from '@/db/schema';
import { DAY_MS } from '@/platform/clock';
import { type BillingWorld, postSignedEvent, startBillingWorld } from '../harness/billing';
import { stripeEvent, subscriptionObject } from '../harness/stripe-events';
import { makeUser } from '../harness/users';

let w: BillingWorld;
beforeAll(async () => {
  // deliveries are held: (b) delivers the whole history at once, shuffled
  w = await startBillingWorld({ emulator: { holdWebhooks: true } });
});
afterAll(async () => {
  await w?.close();
});

const nowS = () => Math.floor(Date.now() / 1000);
const row = async (userId: string) =>
  (await w.tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId)))[0]!;
const resumes = (userId: string) => w.actions.calls.filter((c) => c.action === 'resume' && c.userId === userId).length;

describe('reliability', () => {
  it('(a) applies one event delivered 20 times at once exactly once', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    const subId = `sub_dup_${userId}`;
    await w.tdb.db
      .insert(kiloclawSubscriptions)
      .values({ userId, status: 'canceled', plan: 'standard', stripeSubscriptionId: subId, suspendedAt: new Date() });
    await w.tdb.db.insert(kiloclawEmailLog).values({ userId, emailType: 'subscription_expired' });
    const body = JSON.stringify(
      stripeEvent('customer.subscription.updated', subscriptionObject({ id: subId, userId }), nowS()),
    );

    const results = await Promise.all(
      Array.from({ length: 20 }, () => postSignedEvent(w.app.url, w.emu.webhookSecret, body)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const applied = results.filter((r) => !r.json.receipt?.startsWith('ignored: duplicate'));
    const eventId = JSON.parse(body).id as string;
    const [{ n }] = (await w.tdb.db
      .select({ n: count() })
      .from(stripeWebhookEvents)
      .where(eq(stripeWebhookEvents.eventId, eventId))) as [{ n: number }];
    console.log(
      `reliability (a): 20 concurrent deliveries of ${eventId} → ${applied.length} effect, ` +
        `${20 - applied.length} acknowledged as duplicates, ${resumes(userId)} instance resume`,
    );
    expect(applied).toHaveLength(1);
    expect(n).toBe(1);
    expect(resumes(userId)).toBe(1);
    expect(await row(userId)).toMatchObject({ status: 'active', suspendedAt: null });
  });

  it('(b) ends with every row equal to Stripe after 500+ events for 50 subscriptions, shuffled with 10% duplicates', async () => {
    const stripe = w.app.deps.stripe!;
    const eventsBefore = w.emu.events().length;
    const subs: Array<{ userId: string; subId: string }> = [];
    for (let i = 0; i < 50; i++) {
      const { id: userId } = await makeUser(w.tdb.db);
      const customer = await stripe.customers.create({ email: `${userId}@example.test`, metadata: { userId } });
      const session = await stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customer.id,
        client_reference_id: userId,
        line_items: [{ price: i % 3 === 0 ? 'price_commit_6mo' : 'price_standard_monthly', quantity: 1 }],
        subscription_data: { metadata: { userId } },
        success_url: 'http://localhost/ok',
      });
      w.emu.completeCheckout(session.id);
      subs.push({ userId, subId: w.emu.state.sessions.get(session.id)!.subscription! });
    }

    // A history of changes: cancels and undos, plan switches scheduled and dropped, a renewal in the middle.
    let rnd = 42;
    const random = () => {
      rnd = (rnd * 1_103_515_245 + 12_345) % 2 ** 31;
      return rnd / 2 ** 31;
    };
    const round = async () => {
      for (const { subId } of subs) {
        const sub = w.emu.state.subscriptions.get(subId)!;
        if (sub.status === 'canceled') continue;
        const r = random();
        if (sub.schedule) {
          if (r < 0.3) await stripe.subscriptionSchedules.release(sub.schedule);
        } else if (r < 0.6) {
          await stripe.subscriptions.update(subId, { cancel_at_period_end: !sub.cancel_at_period_end });
        } else if (r < 0.8 && !sub.cancel_at_period_end) {
          const sched = await stripe.subscriptionSchedules.create({ from_subscription: subId });
          const cur = sched.phases[0]!;
          const to = sub.items.data[0]!.price.id === 'price_commit_6mo' ? 'price_standard_monthly' : 'price_commit_6mo';
          await stripe.subscriptionSchedules.update(sched.id, {
            end_behavior: 'release',
            phases: [
              {
                items: [{ price: sub.items.data[0]!.price.id, quantity: 1 }],
                start_date: cur.start_date,
                end_date: cur.end_date,
              },
              {
                items: [{ price: to, quantity: 1 }],
                duration: { interval: 'month', interval_count: to === 'price_commit_6mo' ? 6 : 1 },
              },
            ],
          });
        }
      }
      w.emu.advanceTime(Math.floor(random() * 2_000)); // some events share a second, some do not
    };
    for (let r = 0; r < 3; r++) await round();
    w.emu.advanceTime(32 * DAY_MS); // renewals, period-end cancels, plan switches
    while (w.emu.events().length - eventsBefore < 500) await round();

    const history = w.emu.events().length - eventsBefore;
    await w.emu.flushWebhooks({ shuffle: true, duplicateRate: 0.1, concurrency: 10 });
    const stats = w.emu.deliveryStats();

    let matching = 0;
    const mismatches: unknown[] = [];
    for (const { userId, subId } of subs) {
      const s = (await stripe.subscriptions.retrieve(subId)) as Stripe.Subscription;
      const item = s.items.data[0]!;
      const sched = s.schedule ? w.emu.state.schedules.get(s.schedule as string) : undefined;
      const expected = {
        status: mapStripeStatus(s.status),
        plan: planForPriceId(w.app.deps.config, item.price.id),
        cancelAtPeriodEnd: s.cancel_at_period_end,
        currentPeriodStart: new Date(item.current_period_start * 1000),
        currentPeriodEnd: new Date(item.current_period_end * 1000),
        stripeScheduleId: s.status === 'canceled' ? null : (sched?.id ?? null),
        scheduledPlan:
          sched && s.status !== 'canceled'
            ? scheduledPlanOf(w.app.deps.config, sched as unknown as Stripe.SubscriptionSchedule)
            : null,
      };
      const r = await row(userId);
      const actual = {
        status: r.status,
        plan: r.plan,
        cancelAtPeriodEnd: r.cancelAtPeriodEnd,
        currentPeriodStart: r.currentPeriodStart,
        currentPeriodEnd: r.currentPeriodEnd,
        stripeScheduleId: r.stripeScheduleId,
        scheduledPlan: r.scheduledPlan,
      };
      if (JSON.stringify(actual) === JSON.stringify(expected)) matching++;
      else mismatches.push({ subId, expected, actual });
    }
    console.log(
      `reliability (b): ${history} events for 50 subscriptions delivered shuffled, 10 at a time, with ${stats.duplicatesSent} ` +
        `duplicate deliveries (${stats.attempts} POSTs) → ${matching}/50 rows equal Stripe's final state`,
    );
    expect(mismatches).toEqual([]);
    expect(history).toBeGreaterThanOrEqual(500);
    expect(stats.failedAttempts).toBe(0);
  });

  it('(c) never leaves a suspended active subscriber when a reactivation races the cron 100 times', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    const subId = `sub_race_${userId}`;
    await w.tdb.db
      .insert(kiloclawSubscriptions)
      .values({ userId, status: 'canceled', plan: 'standard', stripeSubscriptionId: subId });
    const base = nowS();
    let cronFirst = 0;
    let webhookFirst = 0;
    let suspendedActive = 0;
    for (let i = 0; i < 100; i++) {
      await w.tdb.db
        .update(kiloclawSubscriptions)
        .set({ status: 'canceled', suspendedAt: null, stripeStateAt: base + 2 * i })
        .where(eq(kiloclawSubscriptions.userId, userId));
      const event = stripeEvent(
        'customer.subscription.updated',
        subscriptionObject({ id: subId, userId, status: 'active' }),
        base + 2 * i + 1,
      );
      const [res, cron] = await Promise.all([
        postSignedEvent(w.app.url, w.emu.webhookSecret, JSON.stringify(event)),
        (async () => {
          await new Promise((r) => setTimeout(r, Math.random() * 6)); // vary who gets there first
          // the lifecycle cron's conditional suspension, verbatim in shape
          return w.tdb.sql`UPDATE kiloclaw_subscriptions SET suspended_at = now()
            WHERE user_id = ${userId} AND status IN ('canceled','unpaid') AND suspended_at IS NULL`;
        })(),
      ]);
      expect(res.status).toBe(200);
      if (cron.count === 1) cronFirst++;
      else webhookFirst++;
      const r = await row(userId);
      if (r.status === 'active' && r.suspendedAt) suspendedActive++;
      expect(r.status).toBe('active');
    }
    console.log(
      `reliability (c): 100 races of a reactivation with the cron's suspension → cron first ${cronFirst} (then unsuspended ` +
        `and resumed), webhook first ${webhookFirst} (cron no-op), suspended active subscribers: ${suspendedActive}`,
    );
    expect(suspendedActive).toBe(0);
    expect(resumes(userId)).toBe(cronFirst);
    const rows = await w.tdb.db
      .select()
      .from(kiloclawSubscriptions)
      .where(and(eq(kiloclawSubscriptions.userId, userId)));
    expect(rows).toHaveLength(1);
  });
});
