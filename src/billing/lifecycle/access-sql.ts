// The access rule of billing/access.ts (decideAccess) as SQL predicates, for set-based sweeps.
// test/cron/access-sql.int.test.ts checks that both agree on every case of the rule.
import { type SQL, sql } from 'drizzle-orm';
import { PAYING_STATUSES } from '../stripe-status';

/** A timestamp parameter with its type stated (an untyped parameter would be text). */
export const ts = (d: Date): SQL => sql`${d.toISOString()}::timestamptz`;

/** The user holds an earlybird purchase that is still valid at `now`. */
export function validEarlybird(userId: SQL, now: Date): SQL {
  return sql`exists (select 1 from kiloclaw_earlybird_purchases e where e.user_id = ${userId} and e.expires_at > ${ts(now)})`;
}

/**
 * decideAccess's "allowed", suspension aside: an active or past-due subscription, a running trial, or
 * a valid earlybird. `s` is the user's kiloclaw_subscriptions row; the sweeps suspend only where this is false.
 */
export function hasAccessIgnoringSuspension(now: Date): SQL {
  // coalesce: a trial without an end date is no access (as in decideAccess), not SQL's unknown
  return sql`(s.status in ${[...PAYING_STATUSES]}
    or (s.status = 'trialing' and coalesce(s.trial_ends_at > ${ts(now)}, false))
    or ${validEarlybird(sql`s.user_id`, now)})`;
}

/**
 * Access the suspension itself does not account for: an active subscription, a running trial or a
 * valid earlybird (a purchase recorded after the user was suspended). past_due is left out on purpose:
 * the past-due sweep suspends exactly those rows once their grace is over. The destruction sweep
 * never destroys a row for which this holds, even if a suspension is (wrongly) still on it.
 */
export function accessBeyondSuspension(now: Date): SQL {
  return sql`(s.status = 'active'
    or (s.status = 'trialing' and coalesce(s.trial_ends_at > ${ts(now)}, false))
    or ${validEarlybird(sql`s.user_id`, now)})`;
}
