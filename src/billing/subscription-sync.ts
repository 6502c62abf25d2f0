// Writes a Stripe subscription's state onto the user's row: the one core behind the webhook handlers
// and the plan-management procedures ("one rule, two doors"). Callers hold the row lock (lockBillingRow).
import { and, eq, inArray, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Tx } from '@/db/client';
import { type EmailType, kiloclawEmailLog, kiloclawSubscriptions } from '@/db/schema';
import type { Logger } from '@/platform/logger';
import { type Plan, type PriceIds, planForPriceId } from './plans';
import { scheduledPlanOf } from './scheduled-plan';
import { isLive, mapStripeStatus } from './stripe-status';
import type { SubscriptionRow } from './subscription-store';

/**
 * Emails about a lapsed plan. Becoming active again deletes their log rows, so that a later lapse
 * warns the user again (the cron sends each type once per log row).
 */
export const SUSPENSION_EMAIL_TYPES: readonly EmailType[] = [
  'subscription_expired',
  'past_due_suspended',
  'destruction_warning',
  'instance_destroyed',
];

/**
 * Serialises every billing write for one user. An advisory lock covers a row that does not exist yet
 * (two events creating it); FOR UPDATE makes the cron's conditional suspension UPDATE wait for us and
 * re-check its WHERE clause against what we wrote, so a reactivation and a suspension cannot interleave.
 */
export async function lockBillingRow(tx: Tx, userId: string): Promise<SubscriptionRow | null> {
  const select = async () =>
    (await tx.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId)).for('update'))[0] ??
    null;
  const row = await select();
  if (row) return row;
  // A row cannot be locked before it exists: would-be creators queue on an advisory lock, then look again.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`kiloclaw-billing:${userId}`}))`);
  return select();
}

export type ApplyOutcome = {
  receipt: string;
  /** the user was suspended and is a paying subscriber again: the caller resumes the instance after commit */
  reactivated: boolean;
  changed: boolean;
};

export type ApplyInput = {
  userId: string;
  /** the locked row (lockBillingRow), or null when the user has none yet */
  row: SubscriptionRow | null;
  subscription: Stripe.Subscription;
  /** new watermark (`created` of the newest event whose state this is), or null to keep the current one */
  stateAt: number | null;
  now: Date;
};

const sameValue = (a: unknown, b: unknown) =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
const customerId = (s: Stripe.Subscription) => (typeof s.customer === 'string' ? s.customer : s.customer.id);

export async function applySubscriptionState(
  tx: Tx,
  deps: { prices: PriceIds; log: Logger; loadSchedule?: (id: string) => Promise<Stripe.SubscriptionSchedule> },
  input: ApplyInput,
): Promise<ApplyOutcome> {
  const { userId, row, subscription: sub, now } = input;
  const status = mapStripeStatus(sub.status);
  const sameSubscription = row?.stripeSubscriptionId === sub.id;

  // A user has one row. A second Stripe subscription (re-subscribing after a cancel) takes the row over
  // only when it is live and the one on the row is not; late events of the replaced one are ignored.
  if (row?.stripeSubscriptionId && !sameSubscription) {
    if (!isLive(status) || isLive(row.status)) {
      if (isLive(status)) {
        deps.log.warn(
          { userId, kept: row.stripeSubscriptionId, other: sub.id },
          'user has two live subscriptions; keeping the recorded one',
        );
      }
      return {
        receipt: `ignored: ${sub.id} is not the user's current subscription (${row.stripeSubscriptionId})`,
        reactivated: false,
        changed: false,
      };
    }
  }

  // Since API 2025-03-31 the billing period lives on the item. A subscription without items (seen in the
  // wild during migrations) keeps its periods empty instead of crashing the handler.
  const item = sub.items?.data?.[0];
  if (!item) deps.log.warn({ userId, subscription: sub.id }, 'subscription has no items; periods left empty');
  let plan = planForPriceId(deps.prices, item?.price?.id);
  if (item && !plan) {
    deps.log.error(
      { userId, subscription: sub.id, price: item.price?.id },
      'subscription on a price we do not sell; plan left unchanged',
    );
  }
  plan ??= sameSubscription ? (row?.plan ?? null) : null;

  const becomesActive = status === 'active';
  const reactivated = becomesActive && !!row?.suspendedAt;
  const wasPastDue = sameSubscription && row?.status === 'past_due';
  // The subscription names the schedule attached to it; the pending plan comes from that schedule's
  // phases, read from Stripe only when a different schedule appears (rare: a switch was just scheduled).
  const scheduleId =
    status === 'canceled' ? null : typeof sub.schedule === 'string' ? sub.schedule : (sub.schedule?.id ?? null);
  let scheduledPlan: Plan | null = null;
  if (scheduleId && sameSubscription && scheduleId === row?.stripeScheduleId) scheduledPlan = row.scheduledPlan;
  else if (scheduleId)
    scheduledPlan = deps.loadSchedule ? scheduledPlanOf(deps.prices, await deps.loadSchedule(scheduleId)) : null;
  if (scheduledPlan === plan) scheduledPlan = null; // the switch has happened
  const stateAt =
    input.stateAt === null
      ? sameSubscription
        ? (row?.stripeStateAt ?? null)
        : null
      : Math.max(input.stateAt, sameSubscription ? (row?.stripeStateAt ?? 0) : 0);

  const values = {
    status,
    plan,
    stripeCustomerId: customerId(sub),
    stripeSubscriptionId: sub.id,
    stripeScheduleId: scheduleId,
    scheduledPlan,
    currentPeriodStart: item ? new Date(item.current_period_start * 1000) : null,
    currentPeriodEnd: item ? new Date(item.current_period_end * 1000) : null,
    cancelAtPeriodEnd: Boolean(sub.cancel_at_period_end),
    pastDueSince: status === 'past_due' ? (wasPastDue && row?.pastDueSince ? row.pastDueSince : now) : null,
    // Only a paying subscriber is unsuspended; past_due stays suspended if the cron already acted.
    suspendedAt: becomesActive ? null : (row?.suspendedAt ?? null),
    destructionDeadline: becomesActive ? null : (row?.destructionDeadline ?? null),
    stripeStateAt: stateAt,
    updatedAt: now,
  };

  const changed =
    !row ||
    (Object.keys(values) as Array<keyof typeof values>).some((k) => k !== 'updatedAt' && !sameValue(row[k], values[k]));
  if (!row) await tx.insert(kiloclawSubscriptions).values({ userId, ...values });
  else if (changed) await tx.update(kiloclawSubscriptions).set(values).where(eq(kiloclawSubscriptions.userId, userId));

  if (becomesActive && (reactivated || row?.status !== 'active')) {
    await tx
      .delete(kiloclawEmailLog)
      .where(
        and(eq(kiloclawEmailLog.userId, userId), inArray(kiloclawEmailLog.emailType, [...SUSPENSION_EMAIL_TYPES])),
      );
  }
  const notes = [
    values.cancelAtPeriodEnd ? ' (cancels at period end)' : '',
    reactivated ? ', unsuspended' : '',
    changed ? '' : ' (no change)',
  ];
  const receipt = `subscription ${sub.id} → ${status}${notes.join('')}`;
  return { receipt, reactivated, changed };
}
