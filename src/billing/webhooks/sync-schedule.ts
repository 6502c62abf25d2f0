// Keeps `scheduled_plan` in step with a subscription schedule's phases (a plan switch at period end).
// Schedule events are rare, so on created/updated we take the schedule as Stripe answers it since the
// row was last written (stripe-reads.ts: fetched outside the lock, hence order-safe); terminal events
// only ever clear. Which schedule is
// attached follows the subscription's own `schedule` field (see applySubscriptionState).
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { kiloclawSubscriptions } from '@/db/schema';
import { scheduledPlanOf } from '../scheduled-plan';
import { idOf } from '../stripe-ids';
import { billingRowVersion } from '../stripe-reads';
import { lockBillingRow } from '../subscription-sync';
import { resolveUserId } from './resolve-user';
import type { HandlerContext, HandlerResult } from './types';

const TERMINAL: readonly Stripe.SubscriptionSchedule.Status[] = ['released', 'canceled', 'completed'];

export async function clearSchedule(ctx: HandlerContext, scheduleId: string, why: string): Promise<HandlerResult> {
  const cleared = await ctx.tx
    .update(kiloclawSubscriptions)
    .set({ stripeScheduleId: null, scheduledPlan: null, updatedAt: ctx.now })
    .where(eq(kiloclawSubscriptions.stripeScheduleId, scheduleId))
    .returning({ userId: kiloclawSubscriptions.userId });
  return {
    receipt: cleared.length
      ? `schedule ${scheduleId} ${why}: plan switch cleared`
      : `ignored: schedule ${scheduleId} not on any row`,
  };
}

export async function syncScheduleFromStripe(
  ctx: HandlerContext,
  payload: Stripe.SubscriptionSchedule,
): Promise<HandlerResult> {
  const subscriptionId = idOf(payload.subscription);
  if (!subscriptionId) return clearSchedule(ctx, payload.id, payload.status);
  const userId = await resolveUserId(ctx.tx, { subscriptionId, customerId: idOf(payload.customer) });
  if (!userId) return { receipt: `ignored: schedule ${payload.id} belongs to no known user` };
  const row = await lockBillingRow(ctx.tx, userId);
  if (!row || row.stripeSubscriptionId !== subscriptionId) {
    // Not linked yet (events arrive in any order): the subscription's own event carries `schedule` and
    // reads the schedule then (applySubscriptionState), so nothing is lost by skipping this one.
    return { receipt: `ignored: schedule ${payload.id} is not on the user's current subscription (yet)` };
  }
  // An answer fetched since the row was last written: two schedule events cannot commit in the wrong order.
  const schedule = ctx.reads.schedule(payload.id, {
    userId,
    version: await billingRowVersion(ctx.tx, userId),
  }).value;
  if (TERMINAL.includes(schedule.status)) return clearSchedule(ctx, schedule.id, schedule.status);
  const next = scheduledPlanOf(ctx.config, schedule);
  const scheduledPlan = next && next !== row.plan ? next : null;
  await ctx.tx
    .update(kiloclawSubscriptions)
    .set({ stripeScheduleId: schedule.id, scheduledPlan, updatedAt: ctx.now })
    .where(eq(kiloclawSubscriptions.userId, userId));
  return {
    receipt: `schedule ${schedule.id} → ${scheduledPlan ? `switch to ${scheduledPlan} at period end` : 'no pending switch'}`,
  };
}
