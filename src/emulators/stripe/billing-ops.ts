// What happens inside the emulated Stripe account: checkout completion, subscription updates,
// schedules, renewals. Every change emits the events Stripe would (order not guaranteed by delivery).
import {
  addInterval,
  clone,
  type Invoice,
  invalid,
  newId,
  type SchedulePhase,
  type Subscription,
  type SubscriptionSchedule,
} from './objects';
import type { StripeState } from './state';

export function createInvoice(
  st: StripeState,
  sub: Subscription,
  paid: boolean,
  reason: Invoice['billing_reason'],
): Invoice {
  const item = sub.items.data[0]!;
  const amount = item.price.unit_amount * item.quantity;
  const inv: Invoice = {
    id: newId('in'),
    object: 'invoice',
    customer: sub.customer,
    status: paid ? 'paid' : 'open',
    amount_due: amount,
    amount_paid: paid ? amount : 0,
    currency: item.price.currency,
    period_start: item.current_period_start,
    period_end: item.current_period_end,
    created: st.nowS(),
    livemode: false,
    billing_reason: reason,
    parent: {
      type: 'subscription_details',
      subscription_details: { subscription: sub.id, metadata: { ...sub.metadata } },
    },
  };
  st.invoices.set(inv.id, inv);
  sub.latest_invoice = inv.id;
  return inv;
}

/**
 * The "Pay" button: the session's customer pays; a subscription or a one-time payment comes to be.
 * `async`: an asynchronous payment method (bank debit) — the session completes unpaid, a subscription
 * starts `incomplete`, and settleAsyncPayment (payments.ts) later decides.
 */
export function completeCheckout(st: StripeState, sessionId: string, opts: { async?: boolean } = {}): void {
  const s = st.get(st.sessions, 'checkout session', sessionId);
  if (s.status !== 'open') throw invalid(`This Checkout Session is no longer active (status ${s.status}).`);
  const now = st.nowS();
  if (!s.customer) {
    const c = {
      id: newId('cus'),
      object: 'customer' as const,
      email: s.customer_email,
      name: null,
      metadata: {},
      created: now,
      livemode: false as const,
    };
    st.customers.set(c.id, c);
    s.customer = c.id;
    st.emit('customer.created', c);
  }
  if (s.mode === 'subscription') {
    const line = s.line_items_internal[0]!;
    const price = st.get(st.prices, 'price', line.price);
    const subId = newId('sub');
    const trialEnd = s.trial_period_days ? now + s.trial_period_days * 86_400 : null;
    const sub: Subscription = {
      id: subId,
      object: 'subscription',
      customer: s.customer,
      status: opts.async ? 'incomplete' : trialEnd ? 'trialing' : 'active',
      items: {
        object: 'list',
        data: [
          {
            id: newId('si'),
            object: 'subscription_item',
            price: clone(price),
            quantity: line.quantity,
            subscription: subId,
            current_period_start: now,
            current_period_end: trialEnd ?? addInterval(now, price.recurring!),
            metadata: {},
            created: now,
          },
        ],
        has_more: false,
        total_count: 1,
        url: `/v1/subscription_items?subscription=${subId}`,
      },
      cancel_at_period_end: false,
      cancel_at: null,
      canceled_at: null,
      ended_at: null,
      created: now,
      start_date: now,
      billing_cycle_anchor: now,
      trial_start: trialEnd ? now : null,
      trial_end: trialEnd,
      metadata: { ...s.subscription_metadata },
      schedule: null,
      latest_invoice: null,
      currency: price.currency,
      collection_method: 'charge_automatically',
      livemode: false,
    };
    st.subscriptions.set(sub.id, sub);
    const inv = createInvoice(st, sub, !opts.async, 'subscription_create');
    s.subscription = sub.id;
    s.status = 'complete';
    s.payment_status = opts.async ? 'unpaid' : 'paid';
    st.emit('customer.subscription.created', sub);
    if (!opts.async) st.emit('invoice.paid', inv);
    st.emit('checkout.session.completed', st.publicSession(s.id));
  } else {
    s.payment_intent = opts.async ? null : st.recordPayment(s.amount_total, s.customer).id;
    s.status = 'complete';
    s.payment_status = opts.async ? 'unpaid' : 'paid';
    st.emit('checkout.session.completed', st.publicSession(s.id));
  }
}

export function updateSubscription(
  st: StripeState,
  sub: Subscription,
  changes: { cancel_at_period_end?: boolean; metadata?: Record<string, string> },
): Subscription {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    if (changes.cancel_at_period_end !== undefined)
      throw invalid('A canceled subscription can only update its cancellation_details and metadata.');
  }
  if (changes.cancel_at_period_end !== undefined && sub.schedule) {
    throw invalid(
      `The subscription is managed by the subscription schedule \`${sub.schedule}\`, and updating ` +
        `any cancelation behavior directly is not allowed. Please update the schedule instead.`,
      'cancel_at_period_end',
    );
  }
  const prev: Record<string, unknown> = {};
  if (changes.cancel_at_period_end !== undefined && changes.cancel_at_period_end !== sub.cancel_at_period_end) {
    prev.cancel_at_period_end = sub.cancel_at_period_end;
    prev.cancel_at = sub.cancel_at;
    prev.canceled_at = sub.canceled_at;
    sub.cancel_at_period_end = changes.cancel_at_period_end;
    sub.cancel_at = changes.cancel_at_period_end ? sub.items.data[0]!.current_period_end : null;
    sub.canceled_at = changes.cancel_at_period_end ? st.nowS() : null;
  }
  if (changes.metadata) {
    prev.metadata = { ...sub.metadata };
    sub.metadata = { ...sub.metadata, ...changes.metadata };
  }
  if (Object.keys(prev).length) st.emit('customer.subscription.updated', sub, prev);
  return sub;
}

export function cancelSubscriptionNow(st: StripeState, sub: Subscription, at: number): void {
  if (sub.status === 'canceled') throw invalid(`This subscription has already been canceled: ${sub.id}`);
  sub.status = 'canceled';
  sub.ended_at = at;
  sub.canceled_at ??= at;
  if (sub.schedule) {
    const sched = st.schedules.get(sub.schedule);
    if (sched && (sched.status === 'active' || sched.status === 'not_started')) {
      sched.status = 'canceled';
      sched.canceled_at = at;
      sched.current_phase = null;
      st.emit('subscription_schedule.canceled', sched);
    }
  }
  st.emit('customer.subscription.deleted', sub);
}

export function scheduleFromSubscription(st: StripeState, sub: Subscription): SubscriptionSchedule {
  if (sub.schedule)
    throw invalid(
      `You cannot migrate a subscription that is already attached to a schedule: \`${sub.schedule}\`.`,
      'from_subscription',
    );
  if (sub.status === 'canceled')
    throw invalid('You cannot create a subscription schedule from a canceled subscription.', 'from_subscription');
  const item = sub.items.data[0]!;
  const sched: SubscriptionSchedule = {
    id: newId('sub_sched'),
    object: 'subscription_schedule',
    customer: sub.customer,
    subscription: sub.id,
    status: 'active',
    phases: [
      {
        start_date: item.current_period_start,
        end_date: item.current_period_end,
        items: [{ price: item.price.id, quantity: item.quantity, metadata: {} }],
        metadata: {},
        proration_behavior: 'create_prorations',
      },
    ],
    current_phase: { start_date: item.current_period_start, end_date: item.current_period_end },
    end_behavior: 'release',
    released_at: null,
    released_subscription: null,
    canceled_at: null,
    completed_at: null,
    created: st.nowS(),
    metadata: {},
    test_clock: null,
    livemode: false,
  };
  st.schedules.set(sched.id, sched);
  sub.schedule = sched.id;
  st.emit('subscription_schedule.created', sched);
  st.emit('customer.subscription.updated', sub, { schedule: null });
  return sched;
}

export function setSchedulePhases(
  st: StripeState,
  sched: SubscriptionSchedule,
  phases: SchedulePhase[],
  endBehavior?: SubscriptionSchedule['end_behavior'],
): void {
  if (sched.status !== 'active' && sched.status !== 'not_started') {
    throw invalid(`You cannot update a subscription schedule that is currently in the \`${sched.status}\` status.`);
  }
  sched.phases = phases;
  if (endBehavior) sched.end_behavior = endBehavior;
  const now = st.nowS();
  const cur = phases.find((p) => p.start_date <= now && (p.end_date === null || p.end_date > now)) ?? phases[0];
  sched.current_phase = cur && cur.end_date !== null ? { start_date: cur.start_date, end_date: cur.end_date } : null;
  st.emit('subscription_schedule.updated', sched);
}

export function releaseSchedule(st: StripeState, sched: SubscriptionSchedule): void {
  if (sched.status !== 'active' && sched.status !== 'not_started') {
    throw invalid(
      `You cannot release a subscription schedule that is currently in the ` +
        `\`${sched.status}\` status. It must be in \`not_started\` or \`active\`.`,
    );
  }
  const sub = sched.subscription ? st.subscriptions.get(sched.subscription) : undefined;
  sched.status = 'released';
  sched.released_at = st.nowS();
  sched.released_subscription = sched.subscription;
  sched.subscription = null;
  sched.current_phase = null;
  st.emit('subscription_schedule.released', sched);
  if (sub) {
    sub.schedule = null;
    st.emit('customer.subscription.updated', sub, { schedule: sched.id });
  }
}
