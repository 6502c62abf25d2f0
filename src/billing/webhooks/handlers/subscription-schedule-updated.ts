import { syncScheduleFromStripe } from '../sync-schedule';
import type { WebhookHandler } from '../types';

/** Phases changed or the schedule moved to its next phase (the switch took effect). */
export const subscriptionScheduleUpdated: WebhookHandler<'subscription_schedule.updated'> = (ctx, event) =>
  syncScheduleFromStripe(ctx, event.data.object);
