import { clearSchedule } from '../sync-schedule';
import type { WebhookHandler } from '../types';

/** Stripe canceled the schedule because the subscription was canceled for non-payment. */
export const subscriptionScheduleAborted: WebhookHandler<'subscription_schedule.aborted'> = (ctx, event) =>
  clearSchedule(ctx, event.data.object.id, 'aborted');
