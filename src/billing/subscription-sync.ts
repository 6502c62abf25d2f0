// Writes a Stripe subscription's state onto the user's row: the one core behind the webhook handlers
// and the plan-management procedures ("one rule, two doors"). Callers hold the row lock (lockBillingRow).
import { and, eq, inArray, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Tx } from '@/db/client';
import { kiloclawEmailLog, kiloclawSubscriptions } from '@/db/schema';
import type { Logger } from '@/platform/logger';
import { REARMED_ON_REACTIVATION } from './emails/email-types';
import { type Plan, type PriceIds, planForPriceId } from './plans';
import { scheduledPlanOf } from './scheduled-plan';
import { idOf } from './stripe-ids';
import { billingRowVersion, type LockedReads } from './stripe-reads';
import { isPaying, mapStripeStatus } from './stripe-status';
import type { SubscriptionRow } from './subscription-store';

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

/** Deletes the log rows of the lapse emails, so that a later lapse tells the user again. */
async function rearmLapseEmails(tx: Tx, userId: string): Promise<void> {
  await tx
    .delete(kiloclawEmailLog)
    .where(and(eq(kiloclawEmailLog.userId, userId), inArray(kiloclawEmailLog.emailType, [...REARMED_ON_REACTIVATION])));
}

/**
 * A purchase that grants access (earlybird) ends a suspension the way a reactivation does: suspension
 * and destruction deadline cleared, lapse emails re-armed, under the row lock the caller holds. Returns
 * whether the user was suspended (the caller resumes the instance after commit).
 */
export async function liftSuspension(tx: Tx, row: SubscriptionRow | null, now: Date): Promise<boolean> {
  if (!row?.suspendedAt) return false;
  await tx
    .update(kiloclawSubscriptions)
    .set({ suspendedAt: null, destructionDeadline: null, updatedAt: now })
    .where(eq(kiloclawSubscriptions.userId, row.userId));
  await rearmLapseEmails(tx, row.userId);
  return true;
}

export type ApplyOutcome = {
  receipt: string;
  /** a second live subscription the caller cancels at Stripe and refunds after commit */
  duplicateSubscriptionId?: string;
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

export async function applySubscriptionState(
  tx: Tx,
  deps: { prices: PriceIds; logger: Logger; loadSchedule?: (id: string) => Promise<Stripe.SubscriptionSchedule> },
  input: ApplyInput,
): Promise<ApplyOutcome> {
  const { userId, row, subscription: sub, now } = input;
  const status = mapStripeStatus(sub.status);
  const sameSubscription = row?.stripeSubscriptionId === sub.id;

  // A user has one row. A second Stripe subscription (re-subscribing after a cancel) takes the row over
  // only when it is live and the one on the row is not; late events of the replaced one are ignored.
  if (row?.stripeSubscriptionId && !sameSubscription) {
    if (!isPaying(status) || isPaying(row.status)) {
      if (isPaying(status)) {
        deps.logger.warn(
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

  // A subscription that is not live (incomplete: an asynchronous first payment still pending) never
  // replaces a running trial: the trial keeps its access until the payment succeeds (then `active`).
  if (
    !sameSubscription &&
    !isPaying(status) &&
    row?.status === 'trialing' &&
    row.trialEndsAt &&
    row.trialEndsAt > now &&
    !row.suspendedAt
  ) {
    return {
      receipt: `ignored: ${sub.id} is ${sub.status}; the running trial stays until it is paid`,
      reactivated: false,
      changed: false,
    };
  }

  // Since API 2025-03-31 the billing period lives on the item. A subscription without items (seen in the
  // wild during migrations) keeps its periods empty instead of crashing the handler.
  const item = sub.items?.data?.[0];
  if (!item) deps.logger.warn({ userId, subscription: sub.id }, 'subscription has no items; periods left empty');
  let plan = planForPriceId(deps.prices, item?.price?.id);
  if (item && !plan) {
    deps.logger.error(
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
  const scheduleId = status === 'canceled' ? null : idOf(sub.schedule);
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
    stripeCustomerId: idOf(sub.customer),
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

  if (becomesActive && (reactivated || row?.status !== 'active')) await rearmLapseEmails(tx, userId);
  const notes = [
    values.cancelAtPeriodEnd ? ' (cancels at period end)' : '',
    reactivated ? ', unsuspended' : '',
    changed ? '' : ' (no change)',
  ];
  const receipt = `subscription ${sub.id} → ${status}${notes.join('')}`;
  return { receipt, reactivated, changed };
}

/** Where a snapshot stamped `stateAt` (Stripe's seconds) stands against what the row already holds. */
type SnapshotOrder = 'newer' | 'stale' | 'tie';

/**
 * The out-of-order rule. Stripe snapshots are stamped to the second; the row keeps the stamp of the
 * newest state written (`stripe_state_at`, per subscription). An older snapshot is stale; a same-second
 * one cannot be ordered, so it is replaced by a fresh read. Unstamped snapshots and a row of another
 * subscription have nothing to compare with: they are newer.
 */
export function snapshotOrder(
  row: Pick<SubscriptionRow, 'stripeSubscriptionId' | 'stripeStateAt'> | null,
  subscriptionId: string,
  stateAt: number | null,
): SnapshotOrder {
  const watermark = row?.stripeSubscriptionId === subscriptionId ? row.stripeStateAt : null;
  if (stateAt === null || watermark === null) return 'newer';
  if (stateAt < watermark) return 'stale';
  return stateAt === watermark ? 'tie' : 'newer';
}

type NewestStateInput = Omit<ApplyInput, 'subscription'> & {
  subscriptionId: string;
  /** the state as of `stateAt`; absent → use an answer read from Stripe (always safe to write) */
  snapshot?: Stripe.Subscription;
};

/**
 * Writes a subscription's state under the out-of-order rule (snapshotOrder): a stale snapshot is
 * dropped; a tie, or no snapshot at all, takes the subscription as Stripe answered it since the row
 * was last written (stripe-reads.ts: fetched outside the lock), stamped with Stripe's answer time.
 *
 * A second live subscription while the row holds a live one: if the recorded one has in fact ended at
 * Stripe (its event is still on the way), that is recorded first and the new one takes the row;
 * otherwise the new one is a duplicate purchase (two checkout tabs) and the caller cancels and refunds it.
 */
export async function applyNewestState(
  tx: Tx,
  deps: { prices: PriceIds; logger: Logger; reads: LockedReads },
  input: NewestStateInput,
): Promise<ApplyOutcome> {
  const { snapshot, subscriptionId, ...rest } = input;
  const order = snapshot ? snapshotOrder(input.row, subscriptionId, input.stateAt) : 'tie';
  if (order === 'stale') {
    return {
      receipt: `ignored: stale event (state of ${subscriptionId} already at ${input.row?.stripeStateAt}, event from ${input.stateAt})`,
      reactivated: false,
      changed: false,
    };
  }
  const guard = async () => ({ userId: input.userId, version: await billingRowVersion(tx, input.userId) });
  let subscription: Stripe.Subscription;
  let stateAt: number | null;
  if (order === 'newer' && snapshot) {
    subscription = snapshot;
    stateAt = input.stateAt;
  } else {
    const answer = deps.reads.subscription(subscriptionId, await guard());
    subscription = answer.value;
    stateAt = answer.answeredAt;
  }
  const loadSchedule = async (id: string) => deps.reads.schedule(id, null).value;
  const applyDeps = { prices: deps.prices, logger: deps.logger, loadSchedule };
  let row = input.row;
  const recorded = row?.stripeSubscriptionId;
  if (
    recorded &&
    recorded !== subscription.id &&
    isPaying(row?.status) &&
    isPaying(mapStripeStatus(subscription.status))
  ) {
    const current = deps.reads.subscription(recorded, await guard());
    if (isPaying(mapStripeStatus(current.value.status))) {
      deps.logger.warn(
        { userId: input.userId, kept: recorded, duplicate: subscription.id },
        'second live subscription: cancelling it at Stripe and refunding its first payment',
      );
      return {
        receipt: `duplicate: ${subscription.id} is a second live subscription (kept ${recorded}); cancelled and refunded`,
        reactivated: false,
        changed: false,
        duplicateSubscriptionId: subscription.id,
      };
    }
    await applySubscriptionState(tx, applyDeps, {
      ...rest,
      row,
      subscription: current.value,
      stateAt: current.answeredAt,
    });
    row = await lockBillingRow(tx, input.userId);
  }
  return applySubscriptionState(tx, applyDeps, { ...rest, row, subscription, stateAt });
}
