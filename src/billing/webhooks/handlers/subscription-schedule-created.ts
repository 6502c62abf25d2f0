import { syncScheduleFromStripe } from '../sync-schedule';
import type { WebhookHandler } from '../types';

export const subscriptionScheduleCreated: WebhookHandler<'subscription_schedule.created'> = (ctx, event) =>
  syncScheduleFromStripe(ctx, event.data.object);
