import { clearSchedule } from '../sync-schedule';
import type { WebhookHandler } from '../types';

export const subscriptionScheduleCanceled: WebhookHandler<'subscription_schedule.canceled'> = (ctx, event) =>
  clearSchedule(ctx, event.data.object.id, 'canceled');
