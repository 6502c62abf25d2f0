// What every sweep shares: its dependencies, its report, the batch loop and the row → recipient mapping.

import { and, isNotNull, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
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

type SweepError = { userId: string; step: 'email' | 'stop' | 'destroy'; message: string };

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

/** A query builder for drizzle `SQL`: turns it into text + parameters for the driver's cursor. */
const dialect = new PgDialect();

/** Fewest pooled connections a run needs: the lock's, a streaming cursor's, and one for the statements. */
const MIN_POOL_CONNECTIONS = 3;

/**
 * Streams the rows of ONE select in chunks of `size` through a cursor, calling `each` per chunk. One
 * statement and one scan however many rows are due: a `limit` loop would start its scan over for
 * every batch and re-read the rows earlier batches already handled (quadratic in the due rows). The
 * cursor keeps one pooled connection while `each` runs its own statements on others, so a pool of
 * fewer than MIN_POOL_CONNECTIONS would wait forever: refused up front. Rows are judged as of the
 * select's start; each chunk's own statement repeats its guards against the newest data.
 */
export async function forEachChunk<T>(
  db: Db,
  query: SQL,
  size: number,
  each: (rows: T[]) => Promise<void>,
): Promise<void> {
  const max = db.$client.options.max;
  if (max < MIN_POOL_CONNECTIONS) {
    throw new Error(
      `the billing lifecycle needs a database pool of at least ${MIN_POOL_CONNECTIONS} connections (DATABASE_POOL_MAX is ${max})`,
    );
  }
  const q = dialect.sqlToQuery(query);
  // the iterator, not cursor(size, callback): postgres.js does not await the callback for the last chunk
  for await (const rows of db.$client.unsafe(q.sql, q.params as never[]).cursor(size)) {
    await each(rows as unknown as T[]);
  }
}

/**
 * `s.id = any(array(…))`: the subscription rows of a chunk (ids from a cursor), each locked first —
 * skip locked: a row a webhook is changing right now is left for the next run. As an array rather
 * than a join, the statement finds its rows by primary key whatever the planner thinks of the rest
 * of its WHERE (a join let it re-scan the sweep's whole index and compare every pair).
 */
export function lockedChunk(ids: readonly string[]): SQL {
  return sql`s.id = any(array(
    select l.id from kiloclaw_subscriptions l where l.id = any(${sql.param([...ids])}::uuid[])
    for update skip locked))`;
}

/**
 * Claims and sends `emailType` to each recipient, adding the outcome to `report`. A failed send gave
 * its claim back and is retried by the next run (a streamed pass never meets the same row twice).
 */
export async function mailBatch(
  input: SweepInput,
  report: SweepReport,
  emailType: EmailType,
  recipients: Recipient[],
): Promise<void> {
  const { deps, now } = input;
  const { tally, failures } = await deliverOnce(
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
}

/** Streams the users `owed` selects (UserRow columns) and sends each chunk `emailType` before reading the next. */
export async function mailOwed(input: SweepInput, report: SweepReport, emailType: EmailType, owed: SQL): Promise<void> {
  await forEachChunk<UserRow>(input.deps.db, owed, input.deps.settings.batchSize, async (rows) => {
    await mailBatch(input, report, emailType, rows.map(toRecipient));
  });
}

/**
 * Calls an instance action for each user still suspended; a failure is logged and reported, never thrown.
 * The re-read matters: the suspension committed a moment ago, and a reactivation webhook may have
 * committed (and resumed the instance) since — stopping now would leave a paying user without it.
 */
export async function forEachInstance(
  input: SweepInput,
  report: SweepReport,
  action: 'stop',
  userIds: readonly string[],
): Promise<Set<string>> {
  const failed = new Set<string>();
  if (userIds.length === 0) return failed;
  const stillSuspended = await input.deps.db
    .select({ userId: kiloclawSubscriptions.userId })
    .from(kiloclawSubscriptions)
    // one array parameter, not a thousand: `in (…)` of a whole chunk costs more to parse than to run
    .where(
      and(
        sql`${kiloclawSubscriptions.userId} = any(${sql.param([...userIds])}::text[])`,
        isNotNull(kiloclawSubscriptions.suspendedAt),
      ),
    );
  const due = stillSuspended.map((r) => r.userId);
  await forEachLimited(due, input.deps.settings.concurrency, async (userId) => {
    try {
      await input.deps.instanceActions[action](userId);
    } catch (err) {
      failed.add(userId);
      report.errors.push({ userId, step: action, message: errorMessage(err) });
      input.deps.logger.warn({ userId, action, reason: errorMessage(err) }, 'lifecycle: instance action failed');
    }
  });
  return failed;
}
