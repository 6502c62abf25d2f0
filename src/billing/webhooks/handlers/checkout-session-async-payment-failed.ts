// The asynchronous payment of a completed checkout failed: nothing was granted, nothing to undo. The
// receipt and the log line say so (the customer sees the failure at their bank and on the billing page).
import type { WebhookHandler } from '../types';

export const checkoutSessionAsyncPaymentFailed: WebhookHandler<'checkout.session.async_payment_failed'> = async (
  ctx,
  event,
) => {
  const session = event.data.object;
  const userId = session.client_reference_id ?? session.metadata?.userId ?? null;
  ctx.logger.warn({ session: session.id, userId, mode: session.mode }, 'asynchronous checkout payment failed');
  return { receipt: `payment of session ${session.id} failed: nothing granted` };
};
