// Per-user throttles on the procedures that cost something outside the database (a machine start, a
// CLI approve on the customer's instance). Counters live in PostgreSQL so every replica counts the
// same calls: one upsert bumps a fixed-window counter and returns it, atomically under concurrency.
import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { kiloclawThrottles } from '@/db/schema';

export type ThrottleRule = { limit: number; windowMs: number; what: string };

export const THROTTLES = {
  /** start/stop/destroy: a person clicks a few times a minute at most; more is a script or a loop */
  instanceAction: { limit: 10, windowMs: 60_000, what: 'instance actions' },
  /** approvals run the openclaw CLI on the instance; a person approves a handful at a time */
  approval: { limit: 30, windowMs: 60_000, what: 'approvals' },
} as const satisfies Record<string, ThrottleRule>;

export type ThrottleName = keyof typeof THROTTLES;

/** Named error: the caller went over a throttle; mapped to TOO_MANY_REQUESTS in server/errors.ts. */
export class Throttled extends Error {
  constructor(
    readonly retryAfterS: number,
    what: string,
  ) {
    super(`Too many ${what} — wait ${retryAfterS} s and try again.`);
    this.name = 'Throttled';
  }
}

/** Counts one call against `key`; throws Throttled when the window's limit is already spent. */
export async function takeThrottle(db: Db, key: string, rule: ThrottleRule, now: Date): Promise<void> {
  const t = kiloclawThrottles;
  // a window that has run out starts afresh at `now`; otherwise the count goes up by one
  const expired = sql`${t.windowStart} <= ${new Date(now.getTime() - rule.windowMs).toISOString()}::timestamptz`;
  const [row] = await db
    .insert(t)
    .values({ key, windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        windowStart: sql`case when ${expired} then excluded.window_start else ${t.windowStart} end`,
        count: sql`case when ${expired} then 1 else ${t.count} + 1 end`,
      },
    })
    .returning({ windowStart: t.windowStart, count: t.count });
  if (!row || row.count <= rule.limit) return;
  const endsAt = row.windowStart.getTime() + rule.windowMs;
  throw new Throttled(Math.max(1, Math.ceil((endsAt - now.getTime()) / 1000)), rule.what);
}
