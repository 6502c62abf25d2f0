import { syncSubscription } from '../sync-subscription';
import type { WebhookHandler } from '../types';

/** The subscription has ended (status canceled); the cron suspends the user afterwards. */
export const customerSubscriptionDeleted: WebhookHandler<'customer.subscription.deleted'> = (ctx, event) =>
  syncSubscription(ctx, event, { kind: 'snapshot', subscription: event.data.object });
