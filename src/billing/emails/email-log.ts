// The email log is the "sent once" memory of the lifecycle: a row (user, type) is claimed *before*
// the mail is sent, so two runs (or a retry after a crash) can never both send it. Which rows a
// reactivation deletes (re-arms) is billing's rule: REARMED_ON_REACTIVATION in emails/email-types.ts.
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { type EmailType, kiloclawEmailLog } from '@/db/schema';

/**
 * Claims (user, type) for each user in one statement. Returns the users whose claim is new; a user
 * missing from the result already has the row, i.e. that email was sent (or is being sent) before.
 */
export async function claimEmails(
  db: DbOrTx,
  emailType: EmailType,
  userIds: readonly string[],
  now: Date,
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  // the ids travel as ONE array parameter: a multi-row VALUES list of thousands of parameters costs
  // more to build and parse than the insert itself
  const rows = await db.execute<{ user_id: string }>(sql`
    insert into kiloclaw_email_log (user_id, email_type, sent_at)
    select id, ${emailType}, ${now.toISOString()}::timestamptz from unnest(${sql.param([...userIds])}::text[]) as id
    on conflict (user_id, email_type) do nothing
    returning user_id`);
  return new Set(rows.map((r) => r.user_id));
}

/** Gives a claim back after a failed send, so the next run retries that email. */
export async function releaseEmailClaim(db: DbOrTx, userId: string, emailType: EmailType): Promise<void> {
  await db
    .delete(kiloclawEmailLog)
    .where(and(eq(kiloclawEmailLog.userId, userId), eq(kiloclawEmailLog.emailType, emailType)));
}
