// Stripe-shaped events for tests that post to the webhook route directly (API 2026-10-28: the billing
// period is on the subscription item).
import { randomBytes } from 'node:crypto';

const id = (p: string) => `${p}_${randomBytes(8).toString('hex')}`;

export type SubOpts = {
  id?: string;
  customer?: string;
  userId?: string;
  status?: string;
  price?: string;
  periodStartS?: number;
  periodEndS?: number;
  cancelAtPeriodEnd?: boolean;
  noItems?: boolean;
};

export function subscriptionObject(o: SubOpts = {}) {
  const subId = o.id ?? id('sub');
  const start = o.periodStartS ?? 1_795_000_000;
  const end = o.periodEndS ?? start + 30 * 86_400;
  return {
    id: subId,
    object: 'subscription',
    customer: o.customer ?? id('cus'),
    status: o.status ?? 'active',
    items: {
      object: 'list',
      data: o.noItems
        ? []
        : [
            {
              id: id('si'),
              object: 'subscription_item',
              price: { id: o.price ?? 'price_standard_monthly', object: 'price' },
              quantity: 1,
              subscription: subId,
              current_period_start: start,
              current_period_end: end,
            },
          ],
      has_more: false,
    },
    cancel_at_period_end: o.cancelAtPeriodEnd ?? false,
    metadata: o.userId ? { userId: o.userId, plan: 'standard' } : {},
    schedule: null,
    created: start,
    livemode: false,
  };
}

export function stripeEvent(type: string, object: unknown, createdS: number, eventId = id('evt')) {
  return {
    id: eventId,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: createdS,
    type,
    livemode: false,
    data: { object },
  };
}
