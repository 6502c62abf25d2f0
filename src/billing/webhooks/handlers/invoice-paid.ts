// A paid invoice (first payment, renewal, or a past-due invoice finally paid): re-read the subscription,
// whose status and period this payment changed. Invoices carry the subscription under parent since 2025-03-31.
import { idOf } from '../../stripe-ids';
import { syncSubscription } from '../sync-subscription';
import type { WebhookHandler } from '../types';

export const invoicePaid: WebhookHandler<'invoice.paid'> = async (ctx, event) => {
  const invoice = event.data.object;
  const subscriptionId = idOf(invoice.parent?.subscription_details?.subscription);
  if (!subscriptionId) return { receipt: `ignored: invoice ${invoice.id} is not for a subscription` };
  return syncSubscription(ctx, event, { kind: 'reread', subscriptionId, customerId: idOf(invoice.customer) });
};
