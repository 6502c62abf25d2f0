// What the plan-management functions need, as one small object (the procedures pass it from AppDeps).
import type { Db } from '@/db/client';
import type { Clock } from '@/platform/clock';
import type { Config } from '@/platform/config';
import type { Logger } from '@/platform/logger';
import type { StripeClient } from './stripe-client';

export type BillingConfig = Pick<
  Config,
  'appUrl' | 'STRIPE_PRICE_STANDARD' | 'STRIPE_PRICE_COMMIT' | 'STRIPE_PRICE_EARLYBIRD' | 'EARLYBIRD_EXPIRES_AT'
>;

export type BillingDeps = {
  db: Db;
  stripe: StripeClient | null;
  clock: Clock;
  logger: Logger;
  config: BillingConfig;
};

export type BillingUser = { id: string; email: string };

/** Where Stripe sends the browser back to: the dashboard's billing page. */
export const billingPageUrl = (config: BillingConfig, query = '') => `${config.appUrl}/billing${query}`;
