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
import type { StripeClient } from './stripe-client';
import { idOf } from './stripe-ids';
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

  if (becomesActive && (reactivated || row?.status !== 'active')) {
    await tx
      .delete(kiloclawEmailLog)
      .where(
        and(eq(kiloclawEmailLog.userId, userId), inArray(kiloclawEmailLog.emailType, [...REARMED_ON_REACTIVATION])),
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

/** The two Stripe reads the sync may need; `call` wraps each (the procedures map failures to a domain error). */
type StripeReads = {
  subscription: (id: string) => Promise<Stripe.Subscription>;
  schedule: (id: string) => Promise<Stripe.SubscriptionSchedule>;
};

export function stripeReads(
  stripe: StripeClient,
  call: <T>(what: string, fn: () => Promise<T>) => Promise<T> = (_what, fn) => fn(),
): StripeReads {
  return {
    subscription: (id) => call('subscriptions.retrieve', () => stripe.subscriptions.retrieve(id)),
    schedule: (id) => call('subscriptionSchedules.retrieve', () => stripe.subscriptionSchedules.retrieve(id)),
  };
}

type NewestStateInput = Omit<ApplyInput, 'subscription'> & {
  subscriptionId: string;
  /** the state as of `stateAt`; absent → read the subscription now (always safe to write) */
  snapshot?: Stripe.Subscription;
};

/**
 * Writes a subscription's state under the out-of-order rule (snapshotOrder): a stale snapshot is
 * dropped, a tie is re-read from Stripe (the caller holds the row lock, so the read is then the newest).
 */
export async function applyNewestState(
  tx: Tx,
  deps: { prices: PriceIds; logger: Logger; read: StripeReads },
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
  const subscription = order === 'newer' && snapshot ? snapshot : await deps.read.subscription(subscriptionId);
  return applySubscriptionState(
    tx,
    { prices: deps.prices, logger: deps.logger, loadSchedule: deps.read.schedule },
    { ...rest, subscription },
  );
}
