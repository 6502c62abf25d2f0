// Billing states relative to one fixed instant (NOW), and lifecycle deps with real parts.
import { eq } from 'drizzle-orm';
import { DEFAULT_LIFECYCLE_SETTINGS, type LifecycleSettings } from '@/billing/lifecycle/constants';
import type { SweepDeps } from '@/billing/lifecycle/sweep-kit';
import { recordingInstanceActions } from '@/billing/ports';
import type { Db } from '@/db/client';
import { kiloclawEmailLog, kiloclawSubscriptions } from '@/db/schema';
import { type Clock, DAY_MS, fixedClock } from '@/platform/clock';
import { createLogger, type Logger } from '@/platform/logger';
import { createSmtpMailer, type Mailer } from '@/platform/mailer';
import { createTestDb, type TestDb } from './db';
import { type SmtpSink, startSmtpSink } from './smtp-sink';

export const NOW = new Date('2026-11-28T12:00:00Z');
/** NOW plus `days` (negative: in the past) */
export const at = (days: number) => new Date(NOW.getTime() + days * DAY_MS);

export type SubValues = Partial<typeof kiloclawSubscriptions.$inferInsert>;
/** A trial that started 7 days before it ends. */
export const trial = (endsInDays: number): SubValues => ({
  status: 'trialing',
  trialStartedAt: at(endsInDays - 7),
  trialEndsAt: at(endsInDays),
});
/** A row the cron suspended `daysAgo` days ago (deadline 7 days after). */
export const suspended = (daysAgo: number, status: SubValues['status'] = 'canceled'): SubValues => ({
  status,
  plan: 'standard',
  suspendedAt: at(-daysAgo),
  destructionDeadline: at(7 - daysAgo),
});

export async function subOf(db: Db, userId: string) {
  const [row] = await db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId));
  return row ?? null;
}

export async function loggedEmails(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ t: kiloclawEmailLog.emailType })
    .from(kiloclawEmailLog)
    .where(eq(kiloclawEmailLog.userId, userId));
  return rows.map((r) => r.t).sort();
}

export const quietLogger = (): Logger => createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function sinkMailer(sink: SmtpSink, logger: Logger = quietLogger()): Mailer {
  return createSmtpMailer({ url: sink.url, from: 'KiloClaw <no-reply@kiloclaw.test>', logger });
}

export type MailWorld = { tdb: TestDb; sink: SmtpSink; mailer: Mailer; close: () => Promise<void> };

/** A test database and a real SMTP inbox with a mailer sending to it: what a lifecycle run needs. */
export async function startMailWorld(opts: { dbMax?: number; sinkSeed?: number } = {}): Promise<MailWorld> {
  const tdb = await createTestDb({ max: opts.dbMax });
  const sink = await startSmtpSink({ seed: opts.sinkSeed });
  const mailer = sinkMailer(sink);
  return {
    tdb,
    sink,
    mailer,
    close: async () => {
      await mailer.close();
      await sink.close();
      await tdb.close();
    },
  };
}

export function lifecycleDeps(opts: {
  db: Db;
  mailer: Mailer;
  clock?: Clock;
  logger?: Logger;
  settings?: Partial<LifecycleSettings>;
}): SweepDeps & { instanceActions: ReturnType<typeof recordingInstanceActions> } {
  return {
    db: opts.db,
    mailer: opts.mailer,
    clock: opts.clock ?? fixedClock(NOW),
    logger: opts.logger ?? quietLogger(),
    instanceActions: recordingInstanceActions(),
    settings: { ...DEFAULT_LIFECYCLE_SETTINGS, ...opts.settings },
    appUrl: 'http://kiloclaw.test',
  };
}
