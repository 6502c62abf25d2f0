// Recording a paid earlybird checkout session — from checkout.session.completed (card) or
// checkout.session.async_payment_succeeded (bank debit). One rule for both doors:
// - paid after sales closed (EARLYBIRD_EXPIRES_AT): nothing granted, the payment is refunded after
//   commit and the user told (a session opened before the cutoff can complete after it);
// - otherwise the purchase is recorded and, under the same row lock as a reactivation, a suspension
//   is lifted (cleared, destruction deadline dropped, lapse emails re-armed, instance resumed after commit).
import type Stripe from 'stripe';
import { kiloclawEarlybirdPurchases } from '@/db/schema';
import { idOf } from '../stripe-ids';
import { liftSuspension, lockBillingRow } from '../subscription-sync';
import { resolveUserId } from './resolve-user';
import type { HandlerContext, HandlerResult } from './types';

export const isEarlybirdSession = (session: Stripe.Checkout.Session) =>
  session.mode === 'payment' && session.metadata?.kind === 'earlybird';

export async function recordEarlybird(
  ctx: HandlerContext,
  event: Stripe.Event,
  session: Stripe.Checkout.Session,
): Promise<HandlerResult> {
  if (session.payment_status !== 'paid')
    return { receipt: `ignored: earlybird session ${session.id} not paid (${session.payment_status})` };
  const userId = await resolveUserId(ctx.tx, {
    metadataUserId: session.client_reference_id ?? session.metadata?.userId,
  });
  if (!userId) {
    ctx.logger.warn({ eventId: event.id, session: session.id }, 'earlybird purchase of no known user');
    return { receipt: `ignored: earlybird session ${session.id} belongs to no known user` };
  }
  const paidAt = new Date(event.created * 1000);
  const expiresAt = new Date(ctx.config.EARLYBIRD_EXPIRES_AT);
  const paymentIntentId = idOf(session.payment_intent);
  if (paidAt >= expiresAt) {
    if (!paymentIntentId) return { receipt: `ignored: earlybird session ${session.id} paid after close, no payment` };
    return {
      receipt: `earlybird closed: session ${session.id} paid after ${expiresAt.toISOString()}; refunded`,
      afterCommit: [{ kind: 'refund_earlybird', userId, sessionId: session.id, paymentIntentId }],
    };
  }
  const row = await lockBillingRow(ctx.tx, userId);
  const inserted = await ctx.tx
    .insert(kiloclawEarlybirdPurchases)
    .values({
      userId,
      stripeCheckoutSessionId: session.id,
      stripePaymentIntentId: paymentIntentId,
      purchasedAt: paidAt,
      expiresAt,
    })
    .onConflictDoNothing({ target: kiloclawEarlybirdPurchases.stripeCheckoutSessionId })
    .returning({ id: kiloclawEarlybirdPurchases.id });
  if (!inserted.length) return { receipt: `ignored: session ${session.id} already recorded` };
  const unsuspended = expiresAt > ctx.now && (await liftSuspension(ctx.tx, row, ctx.now));
  return {
    receipt: `earlybird purchase recorded for session ${session.id}${unsuspended ? ', unsuspended' : ''}`,
    resumeUsers: unsuspended ? [userId] : [],
  };
}
