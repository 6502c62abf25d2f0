// Groups of lifecycle emails, named by what each group is for. The types themselves are the
// EMAIL_TYPES of the database schema (one row per sent email in kiloclaw_email_log).
import type { EmailType } from '@/db/schema';

/** The emails that announce a suspension; a user gets one of them per suspension. */
export const SUSPENSION_NOTICES = [
  'trial_expired',
  'earlybird_expired',
  'subscription_expired',
  'past_due_suspended',
] as const satisfies readonly EmailType[];

/**
 * Emails about a lapsed plan whose log rows a reactivation deletes, so that a later lapse warns the
 * user again (the cron sends each type once per log row).
 */
export const REARMED_ON_REACTIVATION = [
  'subscription_expired',
  'past_due_suspended',
  'destruction_warning',
  'instance_destroyed',
] as const satisfies readonly EmailType[];
