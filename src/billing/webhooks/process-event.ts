// One Stripe webhook delivery, start to finish: verify the signature on the raw body, record the event
// id and apply its effects in ONE transaction (a duplicate — even a concurrent one — finds the id
// already there and does nothing), then run post-commit actions (resuming an instance).
// Statuses: bad signature / stale timestamp / malformed body → 400 (nothing written); unknown type →
// 200 ignored; handler failure → 500 so Stripe retries (the transaction rolled back: nothing half-written).

import { eq } from 'drizzle-orm';
import Stripe from 'stripe';
import type { Db } from '@/db/client';
import { stripeWebhookEvents } from '@/db/schema';
import type { Clock } from '@/platform/clock';
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';
import type { Mailer } from '@/platform/mailer';
import type { BillingConfig } from '../billing-deps';
import type { InstanceActions } from '../ports';
import { describeStripeError } from '../stripe-call';
import type { StripeClient } from '../stripe-client';
import { withStripeReads } from '../stripe-reads';
import { runAfterCommit } from './after-commit';
import { dispatch, isHandled } from './dispatch-table';
import type { HandlerResult } from './types';

/** Stripe's own default: a signature older than 5 min is a replay, not a delivery. */
const SIGNATURE_TOLERANCE_S = 300;

export type WebhookDeps = {
  db: Db;
  stripe: StripeClient | null;
  webhookSecret: string | undefined;
  config: BillingConfig;
  logger: Logger;
  clock: Clock;
  instanceActions: InstanceActions;
  /** tells a customer about a refund; absent → the refund is only logged */
  mailer?: Mailer;
};

export type WebhookOutcome = {
  status: 200 | 400 | 500 | 503;
  body: { received: boolean; eventId?: string; receipt?: string; error?: string };
};

export async function processStripeWebhook(
  deps: WebhookDeps,
  rawBody: string,
  signature: string | null,
): Promise<WebhookOutcome> {
  if (!deps.webhookSecret || !deps.stripe) {
    deps.logger.error('stripe webhook received but STRIPE_WEBHOOK_SECRET / STRIPE_SECRET_KEY are not configured');
    return { status: 503, body: { received: false, error: 'Stripe webhooks are not configured on this server.' } };
  }
  if (!signature) return { status: 400, body: { received: false, error: 'Missing Stripe-Signature header.' } };

  let event: Stripe.Event;
  try {
    // Verified over the exact bytes received; the SDK parses the JSON only after the HMAC matched.
    event = await Stripe.webhooks.constructEventAsync(rawBody, signature, deps.webhookSecret, SIGNATURE_TOLERANCE_S);
  } catch (err) {
    const message = err instanceof SyntaxError ? 'Body is not valid JSON.' : errorMessage(err);
    deps.logger.warn({ reason: message }, 'stripe webhook rejected');
    return { status: 400, body: { received: false, error: `Webhook rejected: ${message}` } };
  }
  if (
    typeof event?.id !== 'string' ||
    typeof event.type !== 'string' ||
    typeof event.created !== 'number' ||
    !event.data?.object
  ) {
    return {
      status: 400,
      body: { received: false, error: 'Webhook rejected: not a Stripe event (id, type, created, data.object).' },
    };
  }

  const log = deps.logger.child({ eventId: event.id, eventType: event.type });
  const type = event.type;
  if (!isHandled(type)) {
    const receipt = `ignored: event type ${type} is not handled`;
    log.info({ receipt }, 'stripe webhook');
    return { status: 200, body: { received: true, eventId: event.id, receipt } };
  }

  let result: HandlerResult;
  const stripe = deps.stripe;
  try {
    // No Stripe call inside the transaction: what a handler needs from Stripe is fetched between
    // attempts, with no connection or lock held (stripe-reads.ts).
    result = await withStripeReads({ db: deps.db, stripe }, (reads) =>
      deps.db.transaction(async (tx) => {
        const now = deps.clock.now();
        // Primary-key insert first: a concurrent duplicate blocks here until we commit, then sees the row.
        const claimed = await tx
          .insert(stripeWebhookEvents)
          .values({ eventId: event.id, type, receivedAt: now })
          .onConflictDoNothing({ target: stripeWebhookEvents.eventId })
          .returning({ eventId: stripeWebhookEvents.eventId });
        if (!claimed.length) return { receipt: 'ignored: duplicate event (already processed)' };
        const r = await dispatch({ tx, reads, config: deps.config, logger: log, now }, type, event);
        await tx
          .update(stripeWebhookEvents)
          .set({ processedAt: now, receipt: r.receipt.slice(0, 500) })
          .where(eq(stripeWebhookEvents.eventId, event.id));
        return r;
      }),
    );
  } catch (err) {
    log.error({ err: describeStripeError(err) }, 'stripe webhook handler failed; Stripe will retry');
    return {
      status: 500,
      body: { received: false, eventId: event.id, error: 'Processing failed; the event will be retried.' },
    };
  }

  // After commit, the Stripe calls the effect needs (a refund, cancelling a duplicate). They are
  // idempotent; if one fails, the event is released so Stripe's retry runs the handler and them again.
  try {
    for (const effect of result.afterCommit ?? []) await runAfterCommit({ ...deps, stripe, logger: log }, effect);
  } catch (err) {
    log.error({ err: describeStripeError(err) }, 'stripe webhook follow-up failed; releasing the event for a retry');
    await deps.db.delete(stripeWebhookEvents).where(eq(stripeWebhookEvents.eventId, event.id));
    return {
      status: 500,
      body: { received: false, eventId: event.id, error: 'Processing failed; the event will be retried.' },
    };
  }

  // After commit: the reactivation is durable even if resuming the machine fails (the user can start it
  // from the dashboard; the failure is logged with the reason).
  for (const userId of result.resumeUsers ?? []) {
    try {
      await deps.instanceActions.resume(userId);
    } catch (err) {
      log.error({ userId, err: errorMessage(err) }, 'resume after reactivation failed');
    }
  }
  log.info({ receipt: result.receipt }, 'stripe webhook');
  return { status: 200, body: { received: true, eventId: event.id, receipt: result.receipt } };
}
