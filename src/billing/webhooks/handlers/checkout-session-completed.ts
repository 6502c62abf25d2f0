// A paid checkout: for a plan, link the customer and subscription to the user (re-reading the
// subscription, which this event does not carry); for earlybird, record the purchase (unless it is
// paid by an asynchronous method: then async_payment_succeeded records it).
import { idOf } from '../../stripe-ids';
import { isEarlybirdSession, recordEarlybird } from '../record-earlybird';
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
  if (isEarlybirdSession(session)) return recordEarlybird(ctx, event, session);
  return { receipt: `ignored: checkout session ${session.id} in mode ${session.mode} is not ours` };
};
