// Plan <-> Stripe price mapping: the only place that knows which price is which plan.

import { PLANS, type Plan } from '@/db/schema';
import type { Config } from '@/platform/config';

export { PLANS, type Plan };

export type PriceIds = Pick<Config, 'STRIPE_PRICE_STANDARD' | 'STRIPE_PRICE_COMMIT' | 'STRIPE_PRICE_EARLYBIRD'>;

export function priceIdForPlan(prices: PriceIds, plan: Plan): string {
  return plan === 'standard' ? prices.STRIPE_PRICE_STANDARD : prices.STRIPE_PRICE_COMMIT;
}

/** The plan a Stripe price stands for, or null for a price we do not sell (callers log it; never guess). */
export function planForPriceId(prices: PriceIds, priceId: string | null | undefined): Plan | null {
  if (!priceId) return null;
  if (priceId === prices.STRIPE_PRICE_STANDARD) return 'standard';
  if (priceId === prices.STRIPE_PRICE_COMMIT) return 'commit';
  return null;
}

/** The billing interval of each plan's price, for the phase a scheduled plan switch starts. */
export const PLAN_INTERVAL: Record<Plan, { interval: 'month'; interval_count: number }> = {
  standard: { interval: 'month', interval_count: 1 },
  commit: { interval: 'month', interval_count: 6 },
};
