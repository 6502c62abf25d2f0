// Sweep 8: the grace period after suspension is over — destroy the instance, then tell the user.
// destruction_deadline doubles as the "still to destroy" marker: the claiming statement clears it
// (conditionally, so a reactivation committed first wins), the instance is destroyed after that
// commit, and a failed destroy puts the deadline back so the next run tries again.

import { sql } from 'drizzle-orm';
import { errorMessage } from '@/platform/error-message';
import { ts } from './access-sql';
import {
  days,
  emptyReport,
  forEachChunk,
  forEachInstance,
  lockedChunk,
  mailBatch,
  type SweepInput,
  type SweepReport,
  toRecipient,
  type UserRow,
} from './sweep-kit';

/** An "instance deleted" email later than this after the deadline is no news worth sending. */
export const DESTROYED_EMAIL_WINDOW_DAYS = 7;

export async function destructionSweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  const report = emptyReport();
  const batch = deps.settings.batchSize;
  const due = sql`s.suspended_at is not null and s.destruction_deadline <= ${ts(now)}`;
  const candidates = sql`select s.id from kiloclaw_subscriptions s where ${due}`;

  await forEachChunk<{ id: string }>(deps.db, candidates, batch, async (chunk) => {
    // \`before\`: the row as the statement found it, for the deadline a failed destroy puts back
    const rows = await deps.db.execute<{ user_id: string; suspended_at: string; deadline: string }>(sql`
      update kiloclaw_subscriptions s
      set destruction_deadline = null, updated_at = ${ts(now)}
      from kiloclaw_subscriptions before
      where ${lockedChunk(chunk.map((r) => r.id))} and before.id = s.id and ${due}
      returning s.user_id, s.suspended_at, before.destruction_deadline as deadline`);
    const byUser = new Map(rows.map((r) => [r.user_id, r]));
    const failed = await forEachInstance(input, report, 'destroy', [...byUser.keys()], async (userId) => {
      const r = byUser.get(userId);
      if (!r) return; // every id given to forEachInstance came from byUser
      try {
        // only if it is still the same suspension: a reactivation meanwhile has cleared suspended_at
        await deps.db.execute(sql`
          update kiloclaw_subscriptions set destruction_deadline = ${r.deadline}::timestamptz, updated_at = ${ts(now)}
          where user_id = ${userId} and suspended_at = ${r.suspended_at}::timestamptz and destruction_deadline is null`);
      } catch (err) {
        report.errors.push({ userId, step: 'restore', message: errorMessage(err) });
        deps.logger.error(
          { userId, reason: errorMessage(err) },
          'lifecycle: destroy failed and its deadline could not be restored; the next run will not retry it',
        );
      }
    });
    report.actioned += rows.length - failed.size;
  });

  // The email: every recently destroyed user not yet told (retries a send that failed in an earlier run).
  const owed = sql`
      select u.id as user_id, u.email, u.name, s.suspended_at
      from kiloclaw_subscriptions s join users u on u.id = s.user_id
      where s.suspended_at is not null and s.destruction_deadline is null
        and s.suspended_at > ${ts(now)} - ${days(deps.settings.destructionAfterDays + DESTROYED_EMAIL_WINDOW_DAYS)}
        and not exists (select 1 from kiloclaw_email_log l where l.user_id = s.user_id and l.email_type = 'instance_destroyed')`;
  await forEachChunk<UserRow>(deps.db, owed, batch, async (rows) => {
    await mailBatch(input, report, 'instance_destroyed', rows.map(toRecipient));
  });
  return report;
}
