// A bank debit (or other asynchronous method) of a completed checkout cleared: an earlybird purchase
// is recorded now. (A subscription's own events carry its move from incomplete to active.)
import { isEarlybirdSession, recordEarlybird } from '../record-earlybird';
import type { WebhookHandler } from '../types';

export const checkoutSessionAsyncPaymentSucceeded: WebhookHandler<'checkout.session.async_payment_succeeded'> = async (
  ctx,
  event,
) => {
  const session = event.data.object;
  if (isEarlybirdSession(session)) return recordEarlybird(ctx, event, session);
  return { receipt: `ignored: session ${session.id} is not an earlybird purchase (its subscription events apply)` };
};
