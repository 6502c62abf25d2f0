import { clearSchedule } from '../sync-schedule';
import type { WebhookHandler } from '../types';

/** The schedule let go of the subscription (our cancelPlanSwitch, or its last phase ended). */
export const subscriptionScheduleReleased: WebhookHandler<'subscription_schedule.released'> = (ctx, event) =>
  clearSchedule(ctx, event.data.object.id, 'released');
