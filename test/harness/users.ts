// The one way tests make a user: a row in `users`, optionally with a subscription and an earlybird
// purchase. Tests that go through sign-up use harness/client.ts instead.
import { randomUUID } from 'node:crypto';
import type { Db } from '@/db/client';
import { kiloclawEarlybirdPurchases, kiloclawEmailLog, kiloclawSubscriptions, users } from '@/db/schema';
import { at, type SubValues } from './cron-fixtures';

export type Person = { id: string; email: string };

/**
 * A new user (unique id and e-mail). `sub`: their subscription row; `earlybirdDays`: an earlybird
 * purchase ending that many days after NOW (cron-fixtures.ts).
 */
export async function makeUser(
  db: Db,
  opts: { sub?: SubValues; earlybirdDays?: number; name?: string } = {},
): Promise<Person> {
  const id = `u_${randomUUID()}`;
  const email = `${id}@example.test`;
  await db.insert(users).values({ id, email, name: opts.name ?? 'Ada' });
  if (opts.sub) await db.insert(kiloclawSubscriptions).values({ status: 'active', ...opts.sub, userId: id });
  // a user the cron suspended in an earlier run was told then
  if (opts.sub?.suspendedAt) {
    await db
      .insert(kiloclawEmailLog)
      .values({ userId: id, emailType: 'subscription_expired', sentAt: opts.sub.suspendedAt });
  }
  if (opts.earlybirdDays !== undefined) {
    await db.insert(kiloclawEarlybirdPurchases).values({
      userId: id,
      stripeCheckoutSessionId: `cs_${id}`,
      expiresAt: at(opts.earlybirdDays),
      purchasedAt: at(-60),
    });
  }
  return { id, email };
}
