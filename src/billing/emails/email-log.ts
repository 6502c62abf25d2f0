// The email log is the "sent once" memory of the lifecycle: a row (user, type) is claimed *before*
// the mail is sent, so two runs (or a retry after a crash) can never both send it.
import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { kiloclawEmailLog, type EmailType } from '@/db/schema';

/**
 * Claims (user, type) for each user in one statement. Returns the users whose claim is new; a user
 * missing from the result already has the row, i.e. that email was sent (or is being sent) before.
 */
export async function claimEmails(db: DbOrTx, emailType: EmailType, userIds: readonly string[], now: Date): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db
    .insert(kiloclawEmailLog)
    .values(userIds.map((userId) => ({ userId, emailType, sentAt: now })))
    .onConflictDoNothing({ target: [kiloclawEmailLog.userId, kiloclawEmailLog.emailType] })
    .returning({ userId: kiloclawEmailLog.userId });
  return new Set(rows.map((r) => r.userId));
}

/** Gives a claim back after a failed send, so the next run retries that email. */
export async function releaseEmailClaim(db: DbOrTx, userId: string, emailType: EmailType): Promise<void> {
  await db.delete(kiloclawEmailLog).where(and(eq(kiloclawEmailLog.userId, userId), eq(kiloclawEmailLog.emailType, emailType)));
}

/**
 * The emails a reactivation re-arms: after a user becomes active again, a later lapse must warn and
 * suspend them afresh. The "ending soon" warnings are once per account and stay.
 */
export const REARMED_ON_REACTIVATION = [
  'trial_expired',
  'earlybird_expired',
  'subscription_expired',
  'past_due_suspended',
  'destruction_warning',
  'instance_destroyed',
] as const satisfies readonly EmailType[];

/** For the reactivation path (webhook), inside its transaction. */
export async function rearmLifecycleEmails(tx: DbOrTx, userId: string): Promise<void> {
  await tx
    .delete(kiloclawEmailLog)
    .where(and(eq(kiloclawEmailLog.userId, userId), inArray(kiloclawEmailLog.emailType, [...REARMED_ON_REACTIVATION])));
}
