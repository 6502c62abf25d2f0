// Stripe subscription status → our status. One table, used by every path that writes a subscription.
import type Stripe from 'stripe';
import type { SubscriptionStatus } from '@/db/schema';

const STATUS_MAP: Record<Stripe.Subscription.Status, SubscriptionStatus> = {
  // A Stripe trial on a paid plan is a paying customer to us (our own free trial is a different thing).
  trialing: 'active',
  active: 'active',
  past_due: 'past_due',
  // first payment never succeeded: no access, but the subscription may still be paid
  incomplete: 'unpaid',
  unpaid: 'unpaid',
  incomplete_expired: 'canceled',
  canceled: 'canceled',
  // paused = no periods, no invoices (e.g. a trial ended without a card): treat as ended
  paused: 'canceled',
};

export function mapStripeStatus(status: Stripe.Subscription.Status | string): SubscriptionStatus {
  return (STATUS_MAP as Record<string, SubscriptionStatus>)[status] ?? 'unpaid';
}

/**
 * Statuses in which the user is a paying (or grace-period) subscriber: they have access, a second
 * checkout is refused, and a suspended instance is resumed. The one list; SQL uses it as a parameter.
 */
export const PAYING_STATUSES = ['active', 'past_due'] as const satisfies readonly SubscriptionStatus[];
export const isPaying = (s: string | null | undefined): boolean =>
  !!s && (PAYING_STATUSES as readonly string[]).includes(s);
