// The plan a subscription schedule will switch to: the plan of the phase after the current one.
import type Stripe from 'stripe';
import { type Plan, type PriceIds, planForPriceId } from './plans';
import { idOf } from './stripe-ids';

export function scheduledPlanOf(prices: PriceIds, schedule: Stripe.SubscriptionSchedule): Plan | null {
  if (schedule.status !== 'active' && schedule.status !== 'not_started') return null;
  const currentStart = schedule.current_phase?.start_date ?? schedule.phases[0]?.start_date ?? 0;
  const next = schedule.phases
    .filter((p) => p.start_date > currentStart)
    .sort((a, b) => a.start_date - b.start_date)[0];
  const price = next?.items[0]?.price;
  return planForPriceId(prices, idOf(price));
}
