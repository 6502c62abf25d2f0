// A paid checkout: for a plan, link the customer and subscription to the user (re-reading the
// subscription, which this event does not carry); for earlybird, record the purchase.
import { kiloclawEarlybirdPurchases } from '@/db/schema';
import { idOf } from '../../stripe-ids';
import { resolveUserId } from '../resolve-user';
import { syncSubscription } from '../sync-subscription';
import type { WebhookHandler } from '../types';

export const checkoutSessionCompleted: WebhookHandler<'checkout.session.completed'> = async (ctx, event) => {
  const session = event.data.object;
  if (session.mode === 'subscription') {
    const subscriptionId = idOf(session.subscription);
    if (!subscriptionId) return { receipt: `ignored: session ${session.id} has no subscription` };
    return syncSubscription(ctx, event, {
      kind: 'reread',
      subscriptionId,
      metadataUserId: session.client_reference_id,
      customerId: idOf(session.customer),
    });
  }
  if (session.mode === 'payment' && session.metadata?.kind === 'earlybird') {
    if (session.payment_status !== 'paid')
      return { receipt: `ignored: earlybird session ${session.id} not paid (${session.payment_status})` };
    const userId = await resolveUserId(ctx.tx, {
      metadataUserId: session.client_reference_id ?? session.metadata?.userId,
    });
    if (!userId) {
      ctx.logger.warn({ eventId: event.id, session: session.id }, 'earlybird purchase of no known user');
      return { receipt: `ignored: earlybird session ${session.id} belongs to no known user` };
    }
    const inserted = await ctx.tx
      .insert(kiloclawEarlybirdPurchases)
      .values({
        userId,
        stripeCheckoutSessionId: session.id,
        stripePaymentIntentId: idOf(session.payment_intent),
        purchasedAt: new Date(event.created * 1000),
        expiresAt: new Date(ctx.config.EARLYBIRD_EXPIRES_AT),
      })
      .onConflictDoNothing({ target: kiloclawEarlybirdPurchases.stripeCheckoutSessionId })
      .returning({ id: kiloclawEarlybirdPurchases.id });
    return {
      receipt: inserted.length
        ? `earlybird purchase recorded for session ${session.id}`
        : `ignored: session ${session.id} already recorded`,
    };
  }
  return { receipt: `ignored: checkout session ${session.id} in mode ${session.mode} is not ours` };
};
