// Plan management of a running subscription: cancel at period end, undo that, switch plan at period end
// (a subscription schedule), undo the switch, and the Stripe billing portal. Each action calls Stripe
// first and writes our row only from what Stripe answered, so a Stripe failure leaves the row untouched.
import { and, eq, isNull } from 'drizzle-orm';
import Stripe from 'stripe';
import { kiloclawSubscriptions } from '@/db/schema';
import { type BillingDeps, billingPageUrl } from './billing-deps';
import {
  NoActiveSubscription,
  NoScheduledSwitch,
  NoStripeCustomer,
  NotPendingCancel,
  PaymentProviderUnavailable,
  SameAsCurrentPlan,
  SwitchWhilePendingCancel,
} from './errors';
import { PLAN_INTERVAL, type Plan, priceIdForPlan } from './plans';
import { callStripe, requireStripe } from './stripe-call';
import { idOf } from './stripe-ids';
import { answeredAt, StripeReadNeeded, withStripeReads } from './stripe-reads';
import { isPaying } from './stripe-status';
import { findSubscription, type SubscriptionRow } from './subscription-store';
import { applyNewestState, lockBillingRow } from './subscription-sync';

type LiveRow = SubscriptionRow & { stripeSubscriptionId: string };

async function liveSubscription(deps: BillingDeps, userId: string): Promise<LiveRow> {
  const row = await findSubscription(deps.db, userId);
  if (!row?.stripeSubscriptionId || !isPaying(row.status)) throw NoActiveSubscription();
  return row as LiveRow;
}

/**
 * Stores what Stripe answered, under the row lock, with the same ordering rule as the webhook
 * (applyNewestState): the answer is stamped with Stripe's time, so events created before it are
 * dropped as stale when they arrive later (a cancel must not be undone by the delayed event of an
 * earlier change), and an answer older than state an event already wrote is not written.
 */
async function storeAnswer(
  deps: BillingDeps,
  userId: string,
  answer: Stripe.Response<Stripe.Subscription>,
): Promise<void> {
  const stripe = requireStripe(deps.stripe);
  const call = <T>(what: string, fn: () => Promise<T>) => callStripe(deps.logger, what, fn);
  // Any further read (a same-second tie, the schedule) is fetched outside the transaction (stripe-reads.ts).
  try {
    await storeWithReads(deps, userId, answer, stripe, call);
  } catch (err) {
    // A row other writers kept changing while we read (many clicks at once): what Stripe did stands, and
    // the webhook of this very change brings the row up to date; the caller is not told of a failure.
    if (!(err instanceof StripeReadNeeded)) throw err;
    deps.logger.warn({ userId, subscription: answer.id }, 'answer not stored: row busy; its webhook will apply it');
  }
}

async function storeWithReads(
  deps: BillingDeps,
  userId: string,
  answer: Stripe.Response<Stripe.Subscription>,
  stripe: ReturnType<typeof requireStripe>,
  call: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
): Promise<void> {
  await withStripeReads({ db: deps.db, stripe, call }, (reads) =>
    deps.db.transaction(async (tx) => {
      const row = await lockBillingRow(tx, userId);
      await applyNewestState(
        tx,
        { prices: deps.config, logger: deps.logger, reads },
        {
          userId,
          row,
          subscriptionId: answer.id,
          snapshot: answer,
          stateAt: answeredAt(answer),
          now: deps.clock.now(),
        },
      );
    }),
  );
}

async function releaseSchedule(
  deps: BillingDeps,
  userId: string,
  row: LiveRow | SubscriptionRow,
  scheduleId: string,
): Promise<void> {
  const stripe = requireStripe(deps.stripe);
  await callStripe(deps.logger, 'subscriptionSchedules.release', async () => {
    try {
      await stripe.subscriptionSchedules.release(scheduleId);
    } catch (err) {
      // Already released/completed at Stripe (e.g. the switch took effect meanwhile): the goal is reached.
      const e = err as Stripe.errors.StripeError;
      if (e?.type !== 'StripeInvalidRequestError' || !/not active|released|completed|canceled/i.test(e.message))
        throw err;
    }
  });
  const subscriptionId = row.stripeSubscriptionId;
  if (subscriptionId) {
    // The subscription as it is now (no schedule), stamped with Stripe's time: a delayed event from
    // before the release cannot re-attach the schedule on our row.
    const sub = await callStripe(deps.logger, 'subscriptions.retrieve', () =>
      stripe.subscriptions.retrieve(subscriptionId),
    );
    await storeAnswer(deps, userId, sub);
  }
  await deps.db
    .update(kiloclawSubscriptions)
    .set({ stripeScheduleId: null, scheduledPlan: null, updatedAt: deps.clock.now() })
    .where(and(eq(kiloclawSubscriptions.userId, userId), eq(kiloclawSubscriptions.stripeScheduleId, scheduleId)));
}

export type PlanState = { cancelAtPeriodEnd: boolean; currentPeriodEnd: Date | null; scheduledPlan: Plan | null };

async function planState(deps: BillingDeps, userId: string): Promise<PlanState> {
  const row = await findSubscription(deps.db, userId);
  return {
    cancelAtPeriodEnd: row?.cancelAtPeriodEnd ?? false,
    currentPeriodEnd: row?.currentPeriodEnd ?? null,
    scheduledPlan: row?.scheduledPlan ?? null,
  };
}

/** Cancel at the end of the paid period (access continues until then). Idempotent. */
export async function cancelSubscription(deps: BillingDeps, userId: string): Promise<PlanState> {
  const row = await liveSubscription(deps, userId);
  if (row.cancelAtPeriodEnd) return planState(deps, userId);
  const stripe = requireStripe(deps.stripe);
  // Stripe refuses to change the cancel behaviour of a subscription a schedule manages: drop the
  // pending plan switch first (canceling makes it moot anyway).
  if (row.stripeScheduleId) await releaseSchedule(deps, userId, row, row.stripeScheduleId);
  const sub = await callStripe(deps.logger, 'subscriptions.update', () =>
    stripe.subscriptions.update(row.stripeSubscriptionId, { cancel_at_period_end: true }),
  );
  // A switch scheduled meanwhile (another tab) loses: a pending cancel and a pending switch never
  // stand together. switchPlan makes the same check from its side, so either order ends here.
  const slippedIn = idOf(sub.schedule);
  if (slippedIn) await releaseSchedule(deps, userId, row, slippedIn);
  else await storeAnswer(deps, userId, sub);
  return planState(deps, userId);
}

/** Undo a pending cancel before the period ends. */
export async function reactivateSubscription(deps: BillingDeps, userId: string): Promise<PlanState> {
  const row = await liveSubscription(deps, userId);
  if (!row.cancelAtPeriodEnd) throw NotPendingCancel();
  const stripe = requireStripe(deps.stripe);
  const sub = await callStripe(deps.logger, 'subscriptions.update', () =>
    stripe.subscriptions.update(row.stripeSubscriptionId, { cancel_at_period_end: false }),
  );
  await storeAnswer(deps, userId, sub);
  return planState(deps, userId);
}

/** Stripe refuses a second schedule for a subscription; this is its answer when one is attached. */
const ALREADY_SCHEDULED = /already attached to a schedule/i;

/**
 * The schedule that will carry the switch: the recorded one, or a new one. Concurrent calls (double
 * clicks, two tabs) all end up on one schedule: Stripe refuses every create but the first, and a
 * refused caller takes the schedule now attached to the subscription. The first to record it wins
 * (conditional on no schedule being recorded); no row lock is held across the Stripe calls.
 */
async function scheduleFor(deps: BillingDeps, userId: string, row: LiveRow): Promise<Stripe.SubscriptionSchedule> {
  const stripe = requireStripe(deps.stripe);
  const retrieve = (id: string) =>
    callStripe(deps.logger, 'subscriptionSchedules.retrieve', () => stripe.subscriptionSchedules.retrieve(id));
  if (row.stripeScheduleId) return retrieve(row.stripeScheduleId);
  // `from_subscription` must be the only parameter of the create call; phases come in an update.
  const created = await callStripe(deps.logger, 'subscriptionSchedules.create', async () => {
    try {
      return await stripe.subscriptionSchedules.create({ from_subscription: row.stripeSubscriptionId });
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && ALREADY_SCHEDULED.test(err.message)) return null;
      throw err;
    }
  });
  if (!created) {
    const sub = await callStripe(deps.logger, 'subscriptions.retrieve', () =>
      stripe.subscriptions.retrieve(row.stripeSubscriptionId),
    );
    const attached = idOf(sub.schedule);
    if (!attached) throw PaymentProviderUnavailable(); // released again meanwhile: the user may retry
    return retrieve(attached);
  }
  // The schedule exists at Stripe now: record it, so a retry after a failed update reuses it.
  await deps.db
    .update(kiloclawSubscriptions)
    .set({ stripeScheduleId: created.id, updatedAt: deps.clock.now() })
    .where(and(eq(kiloclawSubscriptions.userId, userId), isNull(kiloclawSubscriptions.stripeScheduleId)));
  return created;
}

/** Switch to `plan` when the current period ends, through a subscription schedule. */
export async function switchPlan(deps: BillingDeps, userId: string, plan: Plan): Promise<PlanState> {
  const row = await liveSubscription(deps, userId);
  if (row.plan === plan) throw SameAsCurrentPlan();
  if (row.cancelAtPeriodEnd) throw SwitchWhilePendingCancel();
  if (row.scheduledPlan === plan && row.stripeScheduleId) return planState(deps, userId);
  const stripe = requireStripe(deps.stripe);

  const schedule = await scheduleFor(deps, userId, row);
  const current =
    schedule.phases.find((p) => p.start_date === schedule.current_phase?.start_date) ?? schedule.phases[0];
  if (!current) throw NoActiveSubscription();
  const scheduleId = schedule.id;
  await callStripe(deps.logger, 'subscriptionSchedules.update', () =>
    stripe.subscriptionSchedules.update(scheduleId, {
      end_behavior: 'release',
      phases: [
        {
          items: current.items.map((i) => ({ price: idOf(i.price) ?? undefined, quantity: i.quantity ?? 1 })),
          start_date: current.start_date,
          end_date: current.end_date,
        },
        { items: [{ price: priceIdForPlan(deps.config, plan), quantity: 1 }], duration: PLAN_INTERVAL[plan] },
      ],
    }),
  );
  // Stamp the row with Stripe's current state (schedule attached) so delayed older events stay stale,
  // then record the pending plan for that schedule.
  const sub = await callStripe(deps.logger, 'subscriptions.retrieve', () =>
    stripe.subscriptions.retrieve(row.stripeSubscriptionId),
  );
  if (sub.cancel_at_period_end) {
    // a cancel landed meanwhile (another tab): the cancel wins, the switch is dropped
    await releaseSchedule(deps, userId, row, scheduleId);
    throw SwitchWhilePendingCancel();
  }
  await storeAnswer(deps, userId, sub);
  await deps.db
    .update(kiloclawSubscriptions)
    .set({ stripeScheduleId: scheduleId, scheduledPlan: plan, updatedAt: deps.clock.now() })
    .where(
      and(
        eq(kiloclawSubscriptions.userId, userId),
        eq(kiloclawSubscriptions.stripeSubscriptionId, row.stripeSubscriptionId),
      ),
    );
  return planState(deps, userId);
}

/** Keep the current plan: release the schedule that would switch it. */
export async function cancelPlanSwitch(deps: BillingDeps, userId: string): Promise<PlanState> {
  const row = await findSubscription(deps.db, userId);
  if (!row?.stripeScheduleId) throw NoScheduledSwitch();
  await releaseSchedule(deps, userId, row, row.stripeScheduleId);
  return planState(deps, userId);
}

/** A short-lived link to Stripe's portal (payment methods, invoices) for the user's customer. */
export async function createBillingPortalSession(deps: BillingDeps, userId: string): Promise<{ url: string }> {
  const row = await findSubscription(deps.db, userId);
  if (!row?.stripeCustomerId) throw NoStripeCustomer();
  const stripe = requireStripe(deps.stripe);
  const customer = row.stripeCustomerId;
  const session = await callStripe(deps.logger, 'billingPortal.sessions.create', () =>
    stripe.billingPortal.sessions.create({ customer, return_url: billingPageUrl(deps.config) }),
  );
  return { url: session.url };
}
