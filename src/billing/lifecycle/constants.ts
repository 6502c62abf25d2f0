// The lifecycle's thresholds, with their reasons. Each is configurable (src/platform/config.ts).
import type { Config } from '@/platform/config';

export type LifecycleSettings = {
  /** warn a trial user this many days before the trial ends — time to subscribe without a gap */
  trialWarningDays: number;
  /** warn an earlybird this many days before their access ends — a week to decide on a plan */
  earlybirdWarningDays: number;
  /** a payment overdue longer than this suspends — Stripe's retries have run their course by then */
  pastDueGraceDays: number;
  /** warn this many days into a suspension that destruction is coming */
  destructionWarningDays: number;
  /** destroy the instance this many days after suspension (destruction_deadline = suspended_at + this) */
  destructionAfterDays: number;
  /** rows claimed per statement: large enough for few round trips, small enough to hold row locks briefly */
  batchSize: number;
  /** emails/instance actions in flight at once — the SMTP pool and the machine API are the limits */
  concurrency: number;
};

export const DEFAULT_LIFECYCLE_SETTINGS: LifecycleSettings = {
  trialWarningDays: 2,
  earlybirdWarningDays: 7,
  pastDueGraceDays: 14,
  destructionWarningDays: 5,
  destructionAfterDays: 7,
  batchSize: 1_000,
  concurrency: 8,
};

export function lifecycleSettingsFrom(config: Config): LifecycleSettings {
  return {
    trialWarningDays: config.LIFECYCLE_TRIAL_WARNING_DAYS,
    earlybirdWarningDays: config.LIFECYCLE_EARLYBIRD_WARNING_DAYS,
    pastDueGraceDays: config.LIFECYCLE_PAST_DUE_GRACE_DAYS,
    destructionWarningDays: config.LIFECYCLE_DESTRUCTION_WARNING_DAYS,
    destructionAfterDays: config.LIFECYCLE_DESTRUCTION_AFTER_DAYS,
    batchSize: config.LIFECYCLE_BATCH_SIZE,
    concurrency: DEFAULT_LIFECYCLE_SETTINGS.concurrency,
  };
}

/** The advisory-lock key of the lifecycle run (any constant bigint; this one spells "kclife" in hex-ish). */
export const LIFECYCLE_LOCK_KEY = 0x6b636c696665n;
