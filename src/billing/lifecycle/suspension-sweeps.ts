// Sweeps 3–6: suspend users whose access has ended, stop their instance, tell them.
//
// The candidates are streamed by one select (sweep-kit's forEachChunk: one scan, however many are
// due), and each chunk is suspended by ONE conditional statement: the rows are locked (skip locked: a
// row a webhook is changing right now is left for the next run), and the UPDATE's WHERE repeats every
// selecting condition. The select's view of a row may be seconds old; the UPDATE's is not: under READ
// COMMITTED, PostgreSQL re-evaluates that WHERE against the newest committed version of a row that
// changed after the statement began — so a reactivation committed in between makes the condition false
// and the user is left alone. (An update by user id alone would suspend a user who had just paid:
// docs/billing.md §6.3.)
//
// The email is a second pass over "suspended recently, suspension email not in the log", so a send
// that failed (and gave its claim back) is retried by the next run even though the row no longer
// matches the suspension condition.
import { type SQL, sql } from 'drizzle-orm';
import type { EmailType } from '@/db/schema';
import { SUSPENSION_NOTICES } from '../emails/email-types';
import { hasAccessIgnoringSuspension, ts, validEarlybird } from './access-sql';
import {
  days,
  emptyReport,
  forEachChunk,
  forEachInstance,
  lockedChunk,
  mailOwed,
  type SweepInput,
  type SweepReport,
} from './sweep-kit';

/** A row the earlybird-expiry sweep created: never a Stripe subscription, no plan. */
const EARLYBIRD_ONLY_ROW = sql`(s.plan is null and s.stripe_subscription_id is null)`;

/** The user's access last came from an earlybird purchase (one that outlasted the trial). */
const HAD_EARLYBIRD = sql`exists (select 1 from kiloclaw_earlybird_purchases e where e.user_id = s.user_id
  and e.expires_at > coalesce(s.trial_ends_at, '-infinity'::timestamptz))`;

const destructionDeadline = (input: SweepInput) =>
  new Date(input.now.getTime() + input.deps.settings.destructionAfterDays * 86_400_000);

/**
 * Counts the users a statement just suspended and stops their instances: after the statement
 * committed, so the instance follows the row, never the other way round.
 */
async function stopSuspended(input: SweepInput, report: SweepReport, rows: readonly { user_id: string }[]) {
  report.actioned += rows.length;
  await forEachInstance(
    input,
    report,
    'stop',
    rows.map((r) => r.user_id),
  );
}

/** Suspends the rows matching `condition` (a predicate on `s`), chunk by chunk, then stops each instance. */
async function suspendWhere(input: SweepInput, report: SweepReport, condition: SQL): Promise<void> {
  const { deps, now } = input;
  const candidates = sql`select s.id from kiloclaw_subscriptions s where ${condition}`;
  await forEachChunk<{ id: string }>(deps.db, candidates, deps.settings.batchSize, async (chunk) => {
    const rows = await deps.db.execute<{ user_id: string }>(sql`
      update kiloclaw_subscriptions s
      set suspended_at = ${ts(now)}, destruction_deadline = ${ts(destructionDeadline(input))}, updated_at = ${ts(now)}
      where ${lockedChunk(chunk.map((r) => r.id))} and ${condition}
      returning s.user_id`);
    await stopSuspended(input, report, rows);
  });
}

/**
 * Sends `emailType` to users suspended within the grace period whose row matches `kind` and who were
 * not sent a suspension email since this suspension began — the ones just suspended, and any whose
 * send failed before. (`sent_at >= suspended_at`: a row left from an earlier lapse does not count.)
 */
async function mailSuspended(input: SweepInput, report: SweepReport, emailType: EmailType, kind: SQL): Promise<void> {
  const { deps, now } = input;
  const owed = sql`
      select u.id as user_id, u.email, u.name, s.trial_ends_at, s.suspended_at, s.destruction_deadline,
        (select max(e.expires_at) from kiloclaw_earlybird_purchases e where e.user_id = s.user_id) as earlybird_expires_at
      from kiloclaw_subscriptions s join users u on u.id = s.user_id
      where s.suspended_at is not null
        and s.suspended_at > ${ts(now)} - ${days(deps.settings.destructionAfterDays)}
        and s.destruction_deadline > ${ts(now)}
        and ${kind}
        and not exists (select 1 from kiloclaw_email_log l where l.user_id = s.user_id
                          and l.email_type in ${[...SUSPENSION_NOTICES]} and l.sent_at >= s.suspended_at)`;
  await mailOwed(input, report, emailType, owed);
}

const notSuspended = sql`s.suspended_at is null`;

/** 3. The trial has ended; no paid plan (status is still trialing) and no valid earlybird. */
export async function trialExpirySweep(input: SweepInput): Promise<SweepReport> {
  const report = emptyReport();
  const trialing = sql`s.status = 'trialing'`;
  await suspendWhere(
    input,
    report,
    sql`${trialing} and ${notSuspended} and s.trial_ends_at <= ${ts(input.now)} and not ${hasAccessIgnoringSuspension(input.now)}`,
  );
  // A trial user who bought earlybird later lost *that* when it lapsed: the earlybird sweep tells them.
  await mailSuspended(input, report, 'trial_expired', sql`${trialing} and not ${HAD_EARLYBIRD}`);
  return report;
}

/**
 * 4. Earlybird access has ended for a user who never had a subscription row (users with one are
 * covered by sweeps 3 and 5). Suspension lives on the subscription row, so one is created: status
 * `canceled` ("paid access ended"), no plan. `on conflict do nothing` leaves alone a user whose row a
 * checkout webhook created meanwhile; the next run judges that row by its own status.
 */
export async function earlybirdExpirySweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  const report = emptyReport();
  // expiry_checked_at marks a purchase this sweep has judged after it expired: the user then has a
  // subscription row (theirs, or the one made here) or a later purchase that is itself still to be
  // judged. The partial index over unmarked purchases keeps every run to the newly expired ones.
  const expired = sql`e.expiry_checked_at is null and e.expires_at <= ${ts(now)}`;
  const candidates = sql`select e.id from kiloclaw_earlybird_purchases e where ${expired}`;
  await forEachChunk<{ id: string }>(deps.db, candidates, deps.settings.batchSize, async (chunk) => {
    const rows = await deps.db.execute<{ user_id: string }>(sql`
      with due as (
        select e.id, e.user_id from kiloclaw_earlybird_purchases e
        where e.id = any(${sql.param(chunk.map((r) => r.id))}::uuid[]) and ${expired}
        for update skip locked
      ), checked as (
        update kiloclaw_earlybird_purchases e set expiry_checked_at = ${ts(now)}
        where e.id = any(array(select due.id from due))
      )
      insert into kiloclaw_subscriptions (user_id, status, suspended_at, destruction_deadline, created_at, updated_at)
      select distinct due.user_id, 'canceled', ${ts(now)}, ${ts(destructionDeadline(input))}, ${ts(now)}, ${ts(now)}
      from due
      -- no valid purchase left: the user's latest has expired (a scalar subquery probes the user's
      -- purchases; \`not exists\` could become an anti-join hashing every valid purchase per chunk)
      where (select max(v.expires_at) from kiloclaw_earlybird_purchases v where v.user_id = due.user_id) <= ${ts(now)}
      on conflict (user_id) do nothing
      returning user_id`);
    await stopSuspended(input, report, rows);
  });
  // Earlybird-only rows, and trial rows whose access last came from an earlybird bought after the trial.
  await mailSuspended(
    input,
    report,
    'earlybird_expired',
    sql`((s.status = 'canceled' and ${EARLYBIRD_ONLY_ROW}) or (s.status = 'trialing' and ${HAD_EARLYBIRD}))`,
  );
  return report;
}

/** 5. The subscription was canceled or left unpaid, and no valid earlybird covers the user. */
export async function subscriptionExpirySweep(input: SweepInput): Promise<SweepReport> {
  const report = emptyReport();
  const ended = sql`s.status in ('canceled', 'unpaid')`;
  await suspendWhere(
    input,
    report,
    sql`${ended} and ${notSuspended} and not ${hasAccessIgnoringSuspension(input.now)}`,
  );
  await mailSuspended(input, report, 'subscription_expired', sql`${ended} and not ${EARLYBIRD_ONLY_ROW}`);
  return report;
}

/**
 * 6. Past due for longer than the grace period (and no valid earlybird). A row marked past_due
 * without past_due_since (a webhook that did not set it) counts from its last update rather than never.
 */
export async function pastDueSweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  const report = emptyReport();
  const pastDue = sql`s.status = 'past_due'`;
  await suspendWhere(
    input,
    report,
    sql`${pastDue} and ${notSuspended}
      and coalesce(s.past_due_since, s.updated_at) < ${ts(now)} - ${days(deps.settings.pastDueGraceDays)}
      and not ${validEarlybird(sql`s.user_id`, now)}`,
  );
  await mailSuspended(input, report, 'past_due_suspended', pastDue);
  return report;
}
