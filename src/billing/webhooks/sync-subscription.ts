// Brings the user's row in step with a subscription named by an event, without ever letting an older
// event overwrite newer state.
//
// Why a watermark and not "always re-read from the API": a re-read must happen under the row lock to
// be safe (two handlers reading S1 then S2 and committing S2 then S1 would regress the row), and holding
// a database lock across a call to Stripe on *every* event ties webhook throughput to Stripe's latency
// (hundreds of ms) and pins pool connections. Events are snapshots taken at `event.created`, so a
// snapshot newer than the last one written (`stripe_state_at`) is safe to write as is, an older one is
// dropped. `created` has one-second resolution, though, and Stripe emits bursts in the same second
// (created + updated at checkout, cancel then undo): on a tie we cannot tell which is newer, so — and
// only then — we use the subscription as Stripe answers it, fetched with no transaction open but only
// since the row was last written (stripe-reads.ts), so it is always safe to write, stamped with the
// time of Stripe's answer. Events that carry no subscription snapshot (invoices, checkout) re-read too.
import type Stripe from 'stripe';
import { idOf } from '../stripe-ids';
import type { SubscriptionRow } from '../subscription-store';
import { applyNewestState, lockBillingRow } from '../subscription-sync';
import { resolveUserId, userExists } from './resolve-user';
import type { HandlerContext, HandlerResult } from './types';

export type SubscriptionSource =
  | { kind: 'snapshot'; subscription: Stripe.Subscription }
  | { kind: 'reread'; subscriptionId: string; metadataUserId?: string | null; customerId?: string | null };

export async function syncSubscription(
  ctx: HandlerContext,
  event: Stripe.Event,
  source: SubscriptionSource,
): Promise<HandlerResult> {
  const subId = source.kind === 'snapshot' ? source.subscription.id : source.subscriptionId;
  const metadataUserId = source.kind === 'snapshot' ? source.subscription.metadata?.userId : source.metadataUserId;
  let userId: string | null = null;
  let row: SubscriptionRow | null = null;
  if (metadataUserId) {
    // the common case: our checkout put the user id on the subscription; lock that user's row directly
    row = await lockBillingRow(ctx.tx, metadataUserId);
    if (row || (await userExists(ctx.tx, metadataUserId))) userId = metadataUserId;
  }
  if (!userId) {
    userId = await resolveUserId(ctx.tx, {
      subscriptionId: subId,
      customerId: source.kind === 'snapshot' ? idOf(source.subscription.customer) : source.customerId,
    });
    if (!userId && source.kind === 'reread') {
      // e.g. invoice.paid arriving before anything linked this subscription: its metadata names the user
      userId = await resolveUserId(ctx.tx, {
        metadataUserId: ctx.reads.subscription(subId, null).value.metadata?.userId,
      });
    }
    if (userId) row = await lockBillingRow(ctx.tx, userId);
  }
  if (!userId) {
    ctx.logger.warn({ eventId: event.id, subscription: subId }, 'subscription of no known user');
    return { receipt: `ignored: subscription ${subId} belongs to no known user` };
  }

  const outcome = await applyNewestState(
    ctx.tx,
    { prices: ctx.config, logger: ctx.logger, reads: ctx.reads },
    {
      userId,
      row,
      subscriptionId: subId,
      snapshot: source.kind === 'snapshot' ? source.subscription : undefined,
      stateAt: event.created,
      now: ctx.now,
    },
  );
  return {
    receipt: outcome.receipt,
    resumeUsers: outcome.reactivated ? [userId] : [],
    afterCommit: outcome.duplicateSubscriptionId
      ? [{ kind: 'cancel_duplicate', userId, subscriptionId: outcome.duplicateSubscriptionId }]
      : [],
  };
}
