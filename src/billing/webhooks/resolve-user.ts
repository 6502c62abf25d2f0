// Which of our users a Stripe object belongs to. Our checkout puts the user id in the subscription's
// metadata; rows we already linked are found by subscription or customer id.
import { eq, or } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import { kiloclawSubscriptions, users } from '@/db/schema';

export async function resolveUserId(
  tx: Tx,
  ref: { metadataUserId?: string | null; subscriptionId?: string | null; customerId?: string | null },
): Promise<string | null> {
  if (ref.metadataUserId) {
    const [u] = await tx.select({ id: users.id }).from(users).where(eq(users.id, ref.metadataUserId)).limit(1);
    if (u) return u.id;
  }
  const conds = [
    ref.subscriptionId ? eq(kiloclawSubscriptions.stripeSubscriptionId, ref.subscriptionId) : undefined,
    ref.customerId ? eq(kiloclawSubscriptions.stripeCustomerId, ref.customerId) : undefined,
  ].filter((c) => c !== undefined);
  if (!conds.length) return null;
  const [row] = await tx
    .select({ userId: kiloclawSubscriptions.userId })
    .from(kiloclawSubscriptions)
    .where(or(...conds))
    .limit(1);
  return row?.userId ?? null;
}

export async function userExists(tx: Tx, userId: string): Promise<boolean> {
  return (await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).limit(1)).length > 0;
}
