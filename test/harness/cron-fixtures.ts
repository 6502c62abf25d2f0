// Users in known billing states, relative to one fixed instant, and lifecycle deps with real parts.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { DEFAULT_LIFECYCLE_SETTINGS, type LifecycleSettings } from '@/billing/lifecycle/constants';
import type { SweepDeps } from '@/billing/lifecycle/sweep-kit';
import { recordingInstanceActions } from '@/billing/ports';
import type { Db } from '@/db/client';
import { kiloclawEarlybirdPurchases, kiloclawEmailLog, kiloclawSubscriptions, users } from '@/db/schema';
import { type Clock, fixedClock } from '@/platform/clock';
import { createLogger, type Logger } from '@/platform/logger';
import { createSmtpMailer, type Mailer } from '@/platform/mailer';
import type { SmtpSink } from './smtp-sink';

export const NOW = new Date('2026-11-28T12:00:00Z');
export const DAY = 86_400_000;
/** NOW plus `days` (negative: in the past) */
export const at = (days: number) => new Date(NOW.getTime() + days * DAY);

export type SubValues = Partial<typeof kiloclawSubscriptions.$inferInsert>;
export type Person = { id: string; email: string };

export async function makeUser(
  db: Db,
  opts: { sub?: SubValues; earlybirdDays?: number; name?: string } = {},
): Promise<Person> {
  const id = `u_${randomUUID()}`;
  const email = `${id}@example.test`;
  await db.insert(users).values({ id, email, name: opts.name ?? 'Ada' });
  if (opts.sub) await db.insert(kiloclawSubscriptions).values({ status: 'active', ...opts.sub, userId: id });
  // a user the cron suspended in an earlier run was told then
  if (opts.sub?.suspendedAt) {
    await db
      .insert(kiloclawEmailLog)
      .values({ userId: id, emailType: 'subscription_expired', sentAt: opts.sub.suspendedAt });
  }
  if (opts.earlybirdDays !== undefined) {
    await db.insert(kiloclawEarlybirdPurchases).values({
      userId: id,
      stripeCheckoutSessionId: `cs_${id}`,
      expiresAt: at(opts.earlybirdDays),
      purchasedAt: at(-60),
    });
  }
  return { id, email };
}

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
