// Keeps `stripe_schedule_id` / `scheduled_plan` in step with a subscription schedule (a plan switch at
// period end). Schedule events are rare, so on created/updated we simply re-read the schedule from
// Stripe under the row lock (always current, hence order-safe); terminal events only ever clear.
import { and, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { kiloclawSubscriptions } from '@/db/schema';
import { planForPriceId, type Plan } from '../plans';
import { lockBillingRow } from '../subscription-sync';
import { idOf, resolveUserId } from './resolve-user';
import type { HandlerContext, HandlerResult } from './types';

const TERMINAL: readonly Stripe.SubscriptionSchedule.Status[] = ['released', 'canceled', 'completed'];

/** The plan the schedule switches to after its current phase, or null when no later phase exists. */
export function nextPhasePlan(ctx: HandlerContext, schedule: Stripe.SubscriptionSchedule): Plan | null {
  const currentStart = schedule.current_phase?.start_date ?? schedule.phases[0]?.start_date ?? 0;
  const next = schedule.phases.filter((p) => p.start_date > currentStart).sort((a, b) => a.start_date - b.start_date)[0];
  const price = next?.items[0]?.price;
  return planForPriceId(ctx.config, price == null ? null : typeof price === 'string' ? price : price.id);
}

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
    return { receipt: `ignored: schedule ${schedule.id} is not on the user's current subscription` };
  }
  const next = nextPhasePlan(ctx, schedule);
  const scheduledPlan = next && next !== row.plan ? next : null;
  await ctx.tx
    .update(kiloclawSubscriptions)
    .set({ stripeScheduleId: schedule.id, scheduledPlan, updatedAt: ctx.now })
    .where(and(eq(kiloclawSubscriptions.userId, userId)));
  return { receipt: `schedule ${schedule.id} → ${scheduledPlan ? `switch to ${scheduledPlan} at period end` : 'no pending switch'}` };
}
