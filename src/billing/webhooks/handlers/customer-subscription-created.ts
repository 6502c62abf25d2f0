import type { WebhookHandler } from '../types';
import { syncSubscription } from '../sync-subscription';

export const customerSubscriptionCreated: WebhookHandler<'customer.subscription.created'> = (ctx, event) =>
  syncSubscription(ctx, event, { kind: 'snapshot', subscription: event.data.object });
