// What every sweep shares: its dependencies, its report, the batch loop and the row → recipient mapping.

import { and, inArray, isNotNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { type EmailType, kiloclawSubscriptions } from '@/db/schema';
import type { Clock } from '@/platform/clock';
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';
import type { Mailer } from '@/platform/mailer';
import { deliverOnce, type EmailTally, forEachLimited, type Recipient } from '../emails/deliver';
import type { InstanceActions } from '../ports';
import type { LifecycleSettings } from './constants';

export type SweepDeps = {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  logger: Logger;
  instanceActions: InstanceActions;
  settings: LifecycleSettings;
  /** dashboard base URL, for the link in each email */
  appUrl: string;
};

/** One run sees one instant: every sweep of a run compares dates against the same `now`. */
export type SweepInput = { deps: SweepDeps; now: Date };

export type SweepError = { userId: string; step: 'email' | 'stop' | 'destroy' | 'restore'; message: string };

export type SweepReport = {
  /** rows acted on: warnings sent, users suspended, instances destroyed */
  actioned: number;
  emails: EmailTally;
  errors: SweepError[];
};

export const emptyReport = (): SweepReport => ({ actioned: 0, emails: { sent: 0, skipped: 0, failed: 0 }, errors: [] });

/** The columns a sweep statement returns about each user (postgres.js gives timestamps as text here). */
export type UserRow = {
  user_id: string;
  email: string;
  name: string;
  trial_ends_at?: string | Date | null;
  earlybird_expires_at?: string | Date | null;
  suspended_at?: string | Date | null;
  destruction_deadline?: string | Date | null;
};

const toDate = (v: string | Date | null | undefined): Date | null =>
  v == null ? null : v instanceof Date ? v : new Date(v);

export function toRecipient(r: UserRow): Recipient {
  return {
    userId: r.user_id,
    email: r.email,
    name: r.name,
    trialEndsAt: toDate(r.trial_ends_at),
    earlybirdExpiresAt: toDate(r.earlybird_expires_at),
    suspendedAt: toDate(r.suspended_at),
    destructionDeadline: toDate(r.destruction_deadline),
  };
}

export const days = (n: number): SQL => sql`make_interval(days => ${n})`;

/** `and <col> <> all(…)` — users this run already passed over, so a batch loop never picks them twice. */
export function excluding(column: SQL, userIds: readonly string[]): SQL {
  return userIds.length ? sql`and ${column} <> all(${sql.param([...userIds])}::text[])` : sql``;
}

/**
 * Runs `step` batch after batch until a batch comes back short. `step` gets the users to exclude
 * (those that failed earlier in this run) and returns how many rows the batch held.
 */
export async function inBatches(
  batchSize: number,
  step: (exclude: readonly string[]) => Promise<{ rows: number; failed: string[] }>,
) {
  const exclude: string[] = [];
  for (;;) {
    const { rows, failed } = await step(exclude);
    exclude.push(...failed);
    if (rows < batchSize) return;
  }
}

/**
 * Claims and sends `emailType` to each recipient, adding the outcome to `report`. Returns the users
 * not sent to (already in the log, or failed): the batch loop excludes them so it always progresses.
 */
export async function mailBatch(
  input: SweepInput,
  report: SweepReport,
  emailType: EmailType,
  recipients: Recipient[],
): Promise<string[]> {
  const { deps, now } = input;
  const { tally, failures, notSent } = await deliverOnce(
    {
      db: deps.db,
      mailer: deps.mailer,
      logger: deps.logger,
      appUrl: deps.appUrl,
      now,
      concurrency: deps.settings.concurrency,
    },
    emailType,
    recipients,
  );
  report.emails.sent += tally.sent;
  report.emails.skipped += tally.skipped;
  report.emails.failed += tally.failed;
  for (const f of failures) report.errors.push({ userId: f.userId, step: 'email', message: f.message });
  return notSent;
}

/**
 * Calls an instance action for each user still suspended; a failure is logged and reported, never thrown.
 * The re-read matters: the suspension committed a moment ago, and a reactivation webhook may have
 * committed (and resumed the instance) since — stopping now would leave a paying user without it.
 */
export async function forEachInstance(
  input: SweepInput,
  report: SweepReport,
  action: 'stop' | 'destroy',
  userIds: readonly string[],
  onError?: (userId: string) => Promise<void>,
): Promise<Set<string>> {
  const failed = new Set<string>();
  if (userIds.length === 0) return failed;
  const stillSuspended = await input.deps.db
    .select({ userId: kiloclawSubscriptions.userId })
    .from(kiloclawSubscriptions)
    .where(and(inArray(kiloclawSubscriptions.userId, [...userIds]), isNotNull(kiloclawSubscriptions.suspendedAt)));
  const due = stillSuspended.map((r) => r.userId);
  await forEachLimited(due, input.deps.settings.concurrency, async (userId) => {
    try {
      await input.deps.instanceActions[action](userId);
    } catch (err) {
      failed.add(userId);
      report.errors.push({ userId, step: action, message: errorMessage(err) });
      input.deps.logger.warn({ userId, action, reason: errorMessage(err) }, 'lifecycle: instance action failed');
      await onError?.(userId);
    }
  });
  return failed;
}
