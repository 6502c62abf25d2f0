// Stripe calls a webhook's effect needs once its transaction has committed (never under the row lock):
// refunding an earlybird paid after sales closed, and cancelling a second live subscription. Each is
// idempotent (idempotency keys; "already done" answers count as done), so a retried event redoes
// them safely.
import { eq } from 'drizzle-orm';
import Stripe from 'stripe';
import type { Db } from '@/db/client';
import { users } from '@/db/schema';
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';
import type { Mailer } from '@/platform/mailer';
import type { BillingConfig } from '../billing-deps';
import { sendOnce } from '../emails/deliver';
import type { StripeClient } from '../stripe-client';
import { idOf } from '../stripe-ids';
import type { AfterCommit } from './types';

type AfterCommitDeps = {
  db: Db;
  stripe: StripeClient;
  logger: Logger;
  config: BillingConfig;
  clock: { now: () => Date };
  mailer?: Mailer;
};

const alreadyDone = (err: unknown, pattern: RegExp) =>
  err instanceof Stripe.errors.StripeInvalidRequestError &&
  (err.code === 'charge_already_refunded' || pattern.test(err.message));

async function refund(deps: AfterCommitDeps, paymentIntent: string, key: string, metadata: Record<string, string>) {
  try {
    const r = await deps.stripe.refunds.create(
      { payment_intent: paymentIntent, reason: 'duplicate', metadata },
      { idempotencyKey: key },
    );
    return r.id;
  } catch (err) {
    if (alreadyDone(err, /already been refunded/i)) return 'already refunded';
    throw err;
  }
}

export async function runAfterCommit(deps: AfterCommitDeps, effect: AfterCommit): Promise<void> {
  if (effect.kind === 'refund_earlybird') {
    const refundId = await refund(deps, effect.paymentIntentId, `earlybird-closed-refund:${effect.sessionId}`, {
      userId: effect.userId,
      reason: 'earlybird_closed',
    });
    deps.logger.warn(
      { userId: effect.userId, session: effect.sessionId, refund: refundId },
      'earlybird paid after sales closed: refunded',
    );
    await tellRefunded(deps, effect.userId);
    return;
  }
  // cancel_duplicate: stop it billing first, then give its first payment back
  const subscriptionId = effect.subscriptionId;
  let sub: Stripe.Subscription;
  try {
    sub = await deps.stripe.subscriptions.cancel(subscriptionId);
  } catch (err) {
    if (!alreadyDone(err, /already been canceled/i)) throw err;
    sub = await deps.stripe.subscriptions.retrieve(subscriptionId);
  }
  const invoiceId = idOf(sub.latest_invoice);
  let refundId: string | null = null;
  if (invoiceId) {
    const payments = await deps.stripe.invoicePayments.list({ invoice: invoiceId, limit: 1 });
    const paymentIntent = idOf(payments.data[0]?.payment?.payment_intent);
    if (paymentIntent)
      refundId = await refund(deps, paymentIntent, `duplicate-subscription-refund:${subscriptionId}`, {
        userId: effect.userId,
        reason: 'duplicate_subscription',
      });
  }
  deps.logger.warn(
    { userId: effect.userId, subscription: subscriptionId, refund: refundId },
    'second live subscription cancelled at Stripe and its first payment refunded',
  );
}

/** The refund email, once per user (a retried event does not send it twice); a send failure is logged. */
async function tellRefunded(deps: AfterCommitDeps, userId: string): Promise<void> {
  if (!deps.mailer) return;
  const [u] = await deps.db.select({ email: users.email, name: users.name }).from(users).where(eq(users.id, userId));
  if (!u) return;
  try {
    await sendOnce(
      { db: deps.db, mailer: deps.mailer, logger: deps.logger, appUrl: deps.config.appUrl, now: deps.clock.now() },
      'earlybird_refunded',
      { userId, email: u.email, name: u.name },
    );
  } catch (err) {
    deps.logger.error({ userId, reason: errorMessage(err) }, 'earlybird refund email failed');
  }
}
