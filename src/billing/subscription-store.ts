// Reads of a user's billing rows, shared by the access gate, the status procedure and the cron.
import { eq, max, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { kiloclawEarlybirdPurchases, kiloclawSubscriptions, users } from '@/db/schema';
import type { AccessRows } from './access';

export type SubscriptionRow = typeof kiloclawSubscriptions.$inferSelect;

export async function findSubscription(db: DbOrTx, userId: string): Promise<SubscriptionRow | null> {
  const [row] = await db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId)).limit(1);
  return row ?? null;
}

export async function latestEarlybirdExpiry(db: DbOrTx, userId: string): Promise<Date | null> {
  const [row] = await db
    .select({ expiresAt: max(kiloclawEarlybirdPurchases.expiresAt) })
    .from(kiloclawEarlybirdPurchases)
    .where(eq(kiloclawEarlybirdPurchases.userId, userId));
  return row?.expiresAt ?? null;
}

/** The user's latest earlybird expiry as a scalar subquery (one statement reads it with the row: one snapshot). */
const latestEarlybirdSql = (userId: string) =>
  sql<Date | null>`(
        select max(${kiloclawEarlybirdPurchases.expiresAt}) from ${kiloclawEarlybirdPurchases}
        where ${kiloclawEarlybirdPurchases.userId} = ${userId}
      )`.mapWith((v: string | Date | null) => (v == null ? null : new Date(v)));

/**
 * The subscription row and the latest earlybird expiry in ONE statement. Two separate reads can straddle
 * the commit of a purchase that also lifted a suspension, and show "earlybird bought" and "suspended" at once.
 */
export async function loadBillingRows(
  db: DbOrTx,
  userId: string,
): Promise<{ subscription: SubscriptionRow | null; earlybirdExpiresAt: Date | null }> {
  const [r] = await db
    .select({ subscription: kiloclawSubscriptions, earlybirdExpiresAt: latestEarlybirdSql(userId) })
    .from(users)
    .leftJoin(kiloclawSubscriptions, eq(kiloclawSubscriptions.userId, users.id))
    .where(eq(users.id, userId));
  return { subscription: r?.subscription ?? null, earlybirdExpiresAt: r?.earlybirdExpiresAt ?? null };
}

/** Everything the access rule needs, in one round trip (every lookup is on a unique or indexed key). */
export async function loadAccessRows(db: DbOrTx, userId: string): Promise<AccessRows> {
  const rows = await db
    .select({
      status: kiloclawSubscriptions.status,
      trialEndsAt: kiloclawSubscriptions.trialEndsAt,
      suspendedAt: kiloclawSubscriptions.suspendedAt,
      earlybirdExpiresAt: latestEarlybirdSql(userId),
    })
    .from(users)
    .leftJoin(kiloclawSubscriptions, eq(kiloclawSubscriptions.userId, users.id))
    .where(eq(users.id, userId));
  const r = rows[0];
  return {
    subscription: r?.status ? { status: r.status, trialEndsAt: r.trialEndsAt, suspendedAt: r.suspendedAt } : null,
    earlybirdExpiresAt: r?.earlybirdExpiresAt ?? null,
  };
}
