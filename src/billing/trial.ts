// The free trial: once per user, no card.
import type { Db } from '@/db/client';
import { kiloclawSubscriptions } from '@/db/schema';
import type { Clock } from '@/platform/clock';
import { DAY_MS } from '@/platform/clock';
import { TrialAlreadyUsed } from './errors';

export async function startTrial(
  deps: { db: Db; clock: Clock; trialDays: number },
  userId: string,
): Promise<{ trialEndsAt: Date }> {
  const now = deps.clock.now();
  const trialEndsAt = new Date(now.getTime() + deps.trialDays * DAY_MS);
  // One row per user: the insert only succeeds for a user who has never had a subscription row, so a
  // trial can never be restarted, nor started over a paid or canceled plan (concurrent calls: one wins).
  const inserted = await deps.db
    .insert(kiloclawSubscriptions)
    .values({ userId, status: 'trialing', trialStartedAt: now, trialEndsAt, updatedAt: now })
    .onConflictDoNothing({ target: kiloclawSubscriptions.userId })
    .returning({ trialEndsAt: kiloclawSubscriptions.trialEndsAt });
  const row = inserted[0];
  if (!row?.trialEndsAt) throw TrialAlreadyUsed();
  return { trialEndsAt: row.trialEndsAt };
}
