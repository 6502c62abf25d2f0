import { clearSchedule } from '../sync-schedule';
import type { WebhookHandler } from '../types';

export const subscriptionScheduleCompleted: WebhookHandler<'subscription_schedule.completed'> = (ctx, event) =>
  clearSchedule(ctx, event.data.object.id, 'completed');
