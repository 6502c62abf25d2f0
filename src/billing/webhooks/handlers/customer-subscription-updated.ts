import { syncSubscription } from '../sync-subscription';
import type { WebhookHandler } from '../types';

/** Status changes, renewals (new period on the item), cancel_at_period_end toggles and plan switches. */
export const customerSubscriptionUpdated: WebhookHandler<'customer.subscription.updated'> = (ctx, event) =>
  syncSubscription(ctx, event, { kind: 'snapshot', subscription: event.data.object });
