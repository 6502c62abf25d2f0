// Sweeps 1, 2 and 7: "ending soon" warnings, each sent once. They change no subscription row; the
// email log claim (deliverOnce) is what makes them once-only, and `not exists (log row)` keeps each
// statement's cost to the users still owed the email.
import { type SQL, sql } from 'drizzle-orm';
import type { EmailType } from '@/db/schema';
import { PAYING_STATUSES } from '../stripe-status';
import { ts } from './access-sql';
import {
  days,
  emptyReport,
  excluding,
  inBatches,
  mailBatch,
  type SweepInput,
  type SweepReport,
  toRecipient,
  type UserRow,
} from './sweep-kit';

/** Selects a batch of users owed `emailType` (minus `exclude`), claims and sends, until none are left. */
async function warnOnce(
  input: SweepInput,
  emailType: EmailType,
  selectBatch: (exclude: readonly string[]) => SQL,
): Promise<SweepReport> {
  const report = emptyReport();
  await inBatches(input.deps.settings.batchSize, async (exclude) => {
    const rows = await input.deps.db.execute<UserRow>(selectBatch(exclude));
    const failed = await mailBatch(input, report, emailType, rows.map(toRecipient));
    return { rows: rows.length, failed };
  });
  report.actioned = report.emails.sent;
  return report;
}

const notYetSent = (type: EmailType) =>
  sql`not exists (select 1 from kiloclaw_email_log l where l.user_id = u.id and l.email_type = ${type})`;

/** 1. A trial (not suspended, so no paid plan either: one row per user) ends within trialWarningDays. */
export async function trialWarningSweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  const batch = deps.settings.batchSize;
  return warnOnce(
    input,
    'trial_ending',
    (exclude) => sql`
      select u.id as user_id, u.email, u.name, s.trial_ends_at
      from kiloclaw_subscriptions s join users u on u.id = s.user_id
      where s.status = 'trialing' and s.suspended_at is null
        and s.trial_ends_at > ${ts(now)} and s.trial_ends_at <= ${ts(now)} + ${days(deps.settings.trialWarningDays)}
        and ${notYetSent('trial_ending')} ${excluding(sql`u.id`, exclude)}
      limit ${batch}`,
  );
}

/**
 * 2. The user's latest earlybird purchase expires within earlybirdWarningDays, they have no paid
 * subscription, and they are not suspended (a suspended user has lost access already: warning
 * them that it is ending would be wrong; docs/billing.md §6.2).
 */
export async function earlybirdWarningSweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  const batch = deps.settings.batchSize;
  const horizon = sql`${ts(now)} + ${days(deps.settings.earlybirdWarningDays)}`;
  return warnOnce(
    input,
    'earlybird_ending',
    (exclude) => sql`
      select u.id as user_id, u.email, u.name, max(e.expires_at) as earlybird_expires_at
      from kiloclaw_earlybird_purchases e join users u on u.id = e.user_id
      where e.expires_at > ${ts(now)} and e.expires_at <= ${horizon}
        and not exists (select 1 from kiloclaw_earlybird_purchases later where later.user_id = e.user_id and later.expires_at > ${horizon})
        and not exists (select 1 from kiloclaw_subscriptions s where s.user_id = e.user_id
                          and (s.suspended_at is not null or s.status in ${[...PAYING_STATUSES]}))
        and ${notYetSent('earlybird_ending')} ${excluding(sql`u.id`, exclude)}
      group by u.id, u.email, u.name
      limit ${batch}`,
  );
}

/**
 * 7. Suspended for destructionWarningDays or more and the instance not yet destroyed (the
 * destruction sweep clears destruction_deadline once it has destroyed it; a deadline already passed
 * gets the destruction email instead of a late warning).
 */
export async function destructionWarningSweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  const batch = deps.settings.batchSize;
  return warnOnce(
    input,
    'destruction_warning',
    (exclude) => sql`
      select u.id as user_id, u.email, u.name, s.suspended_at, s.destruction_deadline
      from kiloclaw_subscriptions s join users u on u.id = s.user_id
      where s.suspended_at is not null
        and s.suspended_at <= ${ts(now)} - ${days(deps.settings.destructionWarningDays)}
        and s.destruction_deadline > ${ts(now)}
        and ${notYetSent('destruction_warning')} ${excluding(sql`u.id`, exclude)}
      limit ${batch}`,
  );
}
