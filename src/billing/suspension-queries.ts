// What billing answers about suspension, for the instance reconciler. Instances asks these questions
// instead of reading kiloclaw_subscriptions itself. They are subqueries (not lists of ids) so the
// caller's statement stays one statement: its batch limit and ordering apply in the database.
import { and, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { kiloclawSubscriptions as S } from '@/db/schema';
import { PAYING_STATUSES } from './stripe-status';

/** Users billing has suspended (their instance must not run). */
export const suspendedUsers = (db: DbOrTx) => db.select({ userId: S.userId }).from(S).where(isNotNull(S.suspendedAt));

/** Users who are paying and not suspended (an instance billing stopped may run again). */
export const payingAgainUsers = (db: DbOrTx) =>
  db
    .select({ userId: S.userId })
    .from(S)
    .where(and(isNull(S.suspendedAt), inArray(S.status, [...PAYING_STATUSES])));

/** Whether billing has suspended this user right now. */
export async function isSuspended(db: DbOrTx, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: S.userId })
    .from(S)
    .where(and(eq(S.userId, userId), isNotNull(S.suspendedAt)));
  return row !== undefined;
}
