import { syncSubscription } from '../sync-subscription';
import type { WebhookHandler } from '../types';

export const customerSubscriptionCreated: WebhookHandler<'customer.subscription.created'> = (ctx, event) =>
  syncSubscription(ctx, event, { kind: 'snapshot', subscription: event.data.object });
