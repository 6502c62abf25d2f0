// Sweeps 1, 2 and 7: "ending soon" warnings, each sent once. They change no subscription row; the
// email log claim (deliverOnce) is what makes them once-only, and `not exists (log row)` keeps each
// statement's cost to the users still owed the email.
import { type SQL, sql } from 'drizzle-orm';
import type { EmailType } from '@/db/schema';
import { PAYING_STATUSES } from '../stripe-status';
import { ts } from './access-sql';
import { days, emptyReport, mailOwed, type SweepInput, type SweepReport } from './sweep-kit';

/** Sends `emailType` to the users `owed` selects; each chunk is claimed and sent before the next is read. */
async function warnOnce(input: SweepInput, emailType: EmailType, owed: SQL): Promise<SweepReport> {
  const report = emptyReport();
  await mailOwed(input, report, emailType, owed);
  report.actioned = report.emails.sent;
  return report;
}

const notYetSent = (type: EmailType) =>
  sql`not exists (select 1 from kiloclaw_email_log l where l.user_id = u.id and l.email_type = ${type})`;

/** 1. A trial (not suspended, so no paid plan either: one row per user) ends within trialWarningDays. */
export async function trialWarningSweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  return warnOnce(
    input,
    'trial_ending',
    sql`
      select u.id as user_id, u.email, u.name, s.trial_ends_at
      from kiloclaw_subscriptions s join users u on u.id = s.user_id
      where s.status = 'trialing' and s.suspended_at is null
        and s.trial_ends_at > ${ts(now)} and s.trial_ends_at <= ${ts(now)} + ${days(deps.settings.trialWarningDays)}
        and ${notYetSent('trial_ending')}`,
  );
}

/**
 * 2. The user's latest earlybird purchase expires within earlybirdWarningDays, they have no paid
 * subscription, and they are not suspended (a suspended user has lost access already: warning
 * them that it is ending would be wrong; docs/billing.md §6.2).
 */
export async function earlybirdWarningSweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  const horizon = sql`${ts(now)} + ${days(deps.settings.earlybirdWarningDays)}`;
  return warnOnce(
    input,
    'earlybird_ending',
    sql`
      select u.id as user_id, u.email, u.name, max(e.expires_at) as earlybird_expires_at
      from kiloclaw_earlybird_purchases e join users u on u.id = e.user_id
      where e.expires_at > ${ts(now)} and e.expires_at <= ${horizon}
        and not exists (select 1 from kiloclaw_earlybird_purchases later where later.user_id = e.user_id and later.expires_at > ${horizon})
        -- a scalar subquery on purpose: it stays a probe of the user's one row, where \`not exists\`
        -- becomes an anti-join that the planner may run by hashing every subscription
        and not coalesce((select s.suspended_at is not null or s.status in ${[...PAYING_STATUSES]}
                          from kiloclaw_subscriptions s where s.user_id = e.user_id), false)
        and ${notYetSent('earlybird_ending')}
      group by u.id, u.email, u.name`,
  );
}

/**
 * 7. Suspended for destructionWarningDays or more and the instance not yet destroyed (the
 * destruction sweep clears destruction_deadline once it has destroyed it; a deadline already passed
 * gets the destruction email instead of a late warning).
 */
export async function destructionWarningSweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  return warnOnce(
    input,
    'destruction_warning',
    sql`
      select u.id as user_id, u.email, u.name, s.suspended_at, s.destruction_deadline
      from kiloclaw_subscriptions s join users u on u.id = s.user_id
      where s.suspended_at is not null
        and s.suspended_at <= ${ts(now)} - ${days(deps.settings.destructionWarningDays)}
        and s.destruction_deadline > ${ts(now)}
        and ${notYetSent('destruction_warning')}`,
  );
}
