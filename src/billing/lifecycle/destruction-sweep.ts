// Sweep 8: the grace period after suspension is over — destroy the instance, then tell the user.
// destruction_deadline doubles as the "still to destroy" marker. The claiming statement clears it
// (conditionally, so a reactivation committed first wins) and, in the SAME transaction, the instance
// side marks the instance `destroying` (InstanceActions.markForDestruction): from that commit on the
// destroy is the instance side's to finish — this run tries once, the reconciler's destroy_retry pass
// until it is done — and a run that dies after the commit leaves nothing half-decided. The "instance
// deleted" email goes only to users whose instance is gone: at once, or in the first run after the
// reconciler finished it.

import { sql } from 'drizzle-orm';
import { errorMessage } from '@/platform/error-message';
import { forEachLimited } from '../emails/deliver';
import { accessBeyondSuspension, ts } from './access-sql';
import {
  days,
  emptyReport,
  forEachChunk,
  lockedChunk,
  mailBatch,
  type SweepInput,
  type SweepReport,
  toRecipient,
  type UserRow,
} from './sweep-kit';

/** An "instance deleted" email later than this after the deadline is no news worth sending. */
const DESTROYED_EMAIL_WINDOW_DAYS = 7;

const STILL_THERE = 'instance not destroyed yet (see its lastError); the reconciler retries it';

export async function destructionSweep(input: SweepInput): Promise<SweepReport> {
  const { deps, now } = input;
  const report = emptyReport();
  const batch = deps.settings.batchSize;
  // A user with access apart from the suspension (earlybird bought while suspended) is never destroyed:
  // the condition is in the claiming UPDATE itself, so a purchase committed meanwhile wins.
  const due = sql`s.suspended_at is not null and s.destruction_deadline <= ${ts(now)}
    and not ${accessBeyondSuspension(now)}`;
  const candidates = sql`select s.id from kiloclaw_subscriptions s where ${due}`;

  await forEachChunk<{ id: string }>(deps.db, candidates, batch, async (chunk) => {
    const claimed = await deps.db.transaction(async (tx) => {
      const rows = await tx.execute<{ user_id: string }>(sql`
        update kiloclaw_subscriptions s
        set destruction_deadline = null, updated_at = ${ts(now)}
        where ${lockedChunk(chunk.map((r) => r.id))} and ${due}
        returning s.user_id`);
      const userIds = rows.map((r) => r.user_id);
      await deps.instanceActions.markForDestruction(userIds, tx);
      return userIds;
    });
    await forEachLimited(claimed, deps.settings.concurrency, async (userId) => {
      try {
        if (await deps.instanceActions.destroy(userId)) report.actioned += 1;
        else report.errors.push({ userId, step: 'destroy', message: STILL_THERE });
      } catch (err) {
        report.errors.push({ userId, step: 'destroy', message: errorMessage(err) });
        deps.logger.warn({ userId, reason: errorMessage(err) }, 'lifecycle: destroy failed; the reconciler retries it');
      }
    });
  });

  // The email: every recently destroyed user not yet told (retries a send that failed in an earlier
  // run), once their instance is gone.
  const owed = sql`
      select u.id as user_id, u.email, u.name, s.suspended_at
      from kiloclaw_subscriptions s join users u on u.id = s.user_id
      where s.suspended_at is not null and s.destruction_deadline is null
        and s.suspended_at > ${ts(now)} - ${days(deps.settings.destructionAfterDays + DESTROYED_EMAIL_WINDOW_DAYS)}
        and not exists (select 1 from kiloclaw_email_log l where l.user_id = s.user_id and l.email_type = 'instance_destroyed')`;
  await forEachChunk<UserRow>(deps.db, owed, batch, async (rows) => {
    const notYet = await deps.instanceActions.withInstance(rows.map((r) => r.user_id));
    await mailBatch(input, report, 'instance_destroyed', rows.filter((r) => !notYet.has(r.user_id)).map(toRecipient));
  });
  return report;
}
