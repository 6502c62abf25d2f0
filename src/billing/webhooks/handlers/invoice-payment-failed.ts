// A failed renewal: the subscription goes past_due (grace until the cron suspends it); re-reading it
// records the status and starts `past_due_since`.
import { idOf } from '../../stripe-ids';
import { syncSubscription } from '../sync-subscription';
import type { WebhookHandler } from '../types';

export const invoicePaymentFailed: WebhookHandler<'invoice.payment_failed'> = async (ctx, event) => {
  const invoice = event.data.object;
  const subscriptionId = idOf(invoice.parent?.subscription_details?.subscription);
  if (!subscriptionId) return { receipt: `ignored: invoice ${invoice.id} is not for a subscription` };
  return syncSubscription(ctx, event, { kind: 'reread', subscriptionId, customerId: idOf(invoice.customer) });
};
