// Keeps `scheduled_plan` in step with a subscription schedule's phases (a plan switch at period end).
// Schedule events are rare, so on created/updated we simply re-read the schedule from Stripe under the
// row lock (always current, hence order-safe); terminal events only ever clear. Which schedule is
// attached follows the subscription's own `schedule` field (see applySubscriptionState).
import { and, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { kiloclawSubscriptions } from '@/db/schema';
import { scheduledPlanOf } from '../scheduled-plan';
import { lockBillingRow } from '../subscription-sync';
import { idOf, resolveUserId } from './resolve-user';
import type { HandlerContext, HandlerResult } from './types';

const TERMINAL: readonly Stripe.SubscriptionSchedule.Status[] = ['released', 'canceled', 'completed'];

export async function clearSchedule(ctx: HandlerContext, scheduleId: string, why: string): Promise<HandlerResult> {
  const cleared = await ctx.tx
    .update(kiloclawSubscriptions)
    .set({ stripeScheduleId: null, scheduledPlan: null, updatedAt: ctx.now })
    .where(eq(kiloclawSubscriptions.stripeScheduleId, scheduleId))
    .returning({ userId: kiloclawSubscriptions.userId });
  return { receipt: cleared.length ? `schedule ${scheduleId} ${why}: plan switch cleared` : `ignored: schedule ${scheduleId} not on any row` };
}

export async function syncScheduleFromStripe(ctx: HandlerContext, scheduleId: string): Promise<HandlerResult> {
  const schedule = await ctx.stripe.subscriptionSchedules.retrieve(scheduleId);
  if (TERMINAL.includes(schedule.status)) return clearSchedule(ctx, schedule.id, schedule.status);
  const subscriptionId = idOf(schedule.subscription);
  const userId = await resolveUserId(ctx.tx, { subscriptionId, customerId: idOf(schedule.customer) });
  if (!userId) return { receipt: `ignored: schedule ${schedule.id} belongs to no known user` };
  const row = await lockBillingRow(ctx.tx, userId);
  if (!row || row.stripeSubscriptionId !== subscriptionId) {
    // Not linked yet (events arrive in any order): the subscription's own event carries `schedule` and
    // reads the schedule then (applySubscriptionState), so nothing is lost by skipping this one.
    return { receipt: `ignored: schedule ${schedule.id} is not on the user's current subscription (yet)` };
  }
  const next = scheduledPlanOf(ctx.config, schedule);
  const scheduledPlan = next && next !== row.plan ? next : null;
  await ctx.tx
    .update(kiloclawSubscriptions)
    .set({ stripeScheduleId: schedule.id, scheduledPlan, updatedAt: ctx.now })
    .where(and(eq(kiloclawSubscriptions.userId, userId)));
  return { receipt: `schedule ${schedule.id} → ${scheduledPlan ? `switch to ${scheduledPlan} at period end` : 'no pending switch'}` };
}
