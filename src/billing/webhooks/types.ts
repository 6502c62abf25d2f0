// The contract between process-event.ts and the one-file-per-event-type handlers.
import type Stripe from 'stripe';
import type { Tx } from '@/db/client';
import type { Logger } from '@/platform/logger';
import type { BillingConfig } from '../billing-deps';
import type { StripeClient } from '../stripe-client';

export type HandlerContext = {
  /** the event's transaction: the event id row is already inserted in it */
  tx: Tx;
  stripe: StripeClient;
  config: BillingConfig;
  logger: Logger;
  now: Date;
};

export type HandlerResult = {
  /** one line saying what happened or why nothing did; logged with the event id and returned to Stripe */
  receipt: string;
  /** users whose instance must be resumed once the transaction has committed */
  resumeUsers?: string[];
};

export type EventOf<T extends Stripe.Event['type']> = Extract<Stripe.Event, { type: T }>;
export type WebhookHandler<T extends Stripe.Event['type']> = (
  ctx: HandlerContext,
  event: EventOf<T>,
) => Promise<HandlerResult>;
