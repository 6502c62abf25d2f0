// The sweeps judge access in SQL; clawAccessProcedure judges it with decideAccess. Same rule, two
// spellings — this keeps them in agreement over every combination the rule distinguishes.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decideAccess } from '@/billing/access';
import { hasAccessIgnoringSuspension } from '@/billing/lifecycle/access-sql';
import { SUBSCRIPTION_STATUSES } from '@/db/schema';
import { at, NOW } from '../harness/cron-fixtures';
import { createTestDb, type TestDb } from '../harness/db';
import { makeUser } from '../harness/users';

let tdb: TestDb;
beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(async () => tdb?.close());

const TRIAL_ENDS = [null, -1, 0, 1] as const; // days from now; 0 = ends exactly now (already over)
const EARLYBIRD = [undefined, -1, 0, 1] as const;

it('agrees with decideAccess on every status × trial end × earlybird expiry', async () => {
  const cases: Array<{ id: string; expected: boolean; label: string }> = [];
  for (const status of SUBSCRIPTION_STATUSES) {
    for (const trialDays of TRIAL_ENDS) {
      for (const earlybirdDays of EARLYBIRD) {
        const trialEndsAt = trialDays === null ? null : at(trialDays);
        const u = await makeUser(tdb.db, { sub: { status, trialEndsAt }, earlybirdDays });
        const decision = decideAccess(
          {
            subscription: { status, trialEndsAt, suspendedAt: null },
            earlybirdExpiresAt: earlybirdDays === undefined ? null : at(earlybirdDays),
          },
          NOW,
        );
        cases.push({
          id: u.id,
          expected: decision.allowed,
          label: `${status} trial:${trialDays} earlybird:${earlybirdDays}`,
        });
      }
    }
  }
  const rows = await tdb.db.execute<{ user_id: string; allowed: boolean }>(
    sql`select s.user_id, ${hasAccessIgnoringSuspension(NOW)} as allowed from kiloclaw_subscriptions s`,
  );
  const bySql = new Map(rows.map((r) => [r.user_id, r.allowed]));
  const disagreements = cases.filter((c) => bySql.get(c.id) !== c.expected).map((c) => c.label);
  expect(disagreements).toEqual([]);
  expect(cases.length).toBe(SUBSCRIPTION_STATUSES.length * TRIAL_ENDS.length * EARLYBIRD.length);
});
