// One template per email type of the lifecycle (EMAIL_TYPES in the schema); the Record keeps them in step.
import type { EmailType } from '@/db/schema';
import type { EmailTemplate } from '../layout';
import { destructionWarning } from './destruction-warning';
import { earlybirdEnding } from './earlybird-ending';
import { earlybirdExpired } from './earlybird-expired';
import { earlybirdRefunded } from './earlybird-refunded';
import { instanceDestroyed } from './instance-destroyed';
import { pastDueSuspended } from './past-due-suspended';
import { subscriptionExpired } from './subscription-expired';
import { trialEnding } from './trial-ending';
import { trialExpired } from './trial-expired';

export const EMAIL_TEMPLATES: Record<EmailType, EmailTemplate> = {
  trial_ending: trialEnding,
  earlybird_ending: earlybirdEnding,
  trial_expired: trialExpired,
  earlybird_expired: earlybirdExpired,
  subscription_expired: subscriptionExpired,
  past_due_suspended: pastDueSuspended,
  destruction_warning: destructionWarning,
  instance_destroyed: instanceDestroyed,
  earlybird_refunded: earlybirdRefunded,
};
