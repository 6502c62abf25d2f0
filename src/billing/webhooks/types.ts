// The contract between process-event.ts and the one-file-per-event-type handlers.
import type Stripe from 'stripe';
import type { Tx } from '@/db/client';
import type { Logger } from '@/platform/logger';
import type { BillingConfig } from '../billing-deps';
import type { LockedReads } from '../stripe-reads';

export type HandlerContext = {
  /** the event's transaction: the event id row is already inserted in it */
  tx: Tx;
  /** Stripe answers fetched outside the transaction; a missing one throws StripeReadNeeded (stripe-reads.ts) */
  reads: LockedReads;
  config: BillingConfig;
  logger: Logger;
  now: Date;
};

export type HandlerResult = {
  /** one line saying what happened or why nothing did; logged with the event id and returned to Stripe */
  receipt: string;
  /** users whose instance must be resumed once the transaction has committed */
  resumeUsers?: string[];
  /** Stripe calls to make once committed; if one fails the event is released so Stripe's retry redoes it */
  afterCommit?: AfterCommit[];
};

export type AfterCommit =
  /** earlybird paid after sales closed: refund it and tell the user */
  | { kind: 'refund_earlybird'; userId: string; sessionId: string; paymentIntentId: string }
  /** a second live subscription (two checkout tabs): cancel it now and refund its first payment */
  | { kind: 'cancel_duplicate'; userId: string; subscriptionId: string };

export type EventOf<T extends Stripe.Event['type']> = Extract<Stripe.Event, { type: T }>;
export type WebhookHandler<T extends Stripe.Event['type']> = (
  ctx: HandlerContext,
  event: EventOf<T>,
) => Promise<HandlerResult>;
