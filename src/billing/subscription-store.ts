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

/** Everything the access rule needs, in one round trip (every lookup is on a unique or indexed key). */
export async function loadAccessRows(db: DbOrTx, userId: string): Promise<AccessRows> {
  const rows = await db
    .select({
      status: kiloclawSubscriptions.status,
      trialEndsAt: kiloclawSubscriptions.trialEndsAt,
      suspendedAt: kiloclawSubscriptions.suspendedAt,
      earlybirdExpiresAt: sql<Date | null>`(
        select max(${kiloclawEarlybirdPurchases.expiresAt}) from ${kiloclawEarlybirdPurchases}
        where ${kiloclawEarlybirdPurchases.userId} = ${userId}
      )`.mapWith((v: string | Date | null) => (v == null ? null : new Date(v))),
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
