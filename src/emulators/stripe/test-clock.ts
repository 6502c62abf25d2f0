// Moving the emulator's clock forward: every subscription period that ended is settled the way Stripe
// settles it — cancel_at_period_end ends the subscription, a schedule moves to its next phase (the plan
// switch) or releases at its end, and otherwise the subscription renews (paid, or past_due when told to fail).
import { cancelSubscriptionNow, createInvoice, releaseSchedule } from './billing-ops';
import { addInterval, clone } from './objects';
import type { StripeState } from './state';

const MAX_PERIODS_PER_ADVANCE = 120; // a guard against a zero-length interval spinning forever

export function settleDuePeriods(st: StripeState): void {
  const now = st.nowS();
  for (const sub of st.subscriptions.values()) {
    for (let guard = 0; guard < MAX_PERIODS_PER_ADVANCE; guard++) {
      if (sub.status === 'canceled' || sub.status === 'incomplete_expired') break;
      const item = sub.items.data[0];
      if (!item || item.current_period_end > now) break;
      const boundary = item.current_period_end;
      if (sub.cancel_at_period_end) {
        cancelSubscriptionNow(st, sub, boundary);
        break;
      }

      let price = item.price;
      const sched = sub.schedule ? st.schedules.get(sub.schedule) : undefined;
      let enteredPhase = false;
      if (sched && sched.status === 'active') {
        const next = sched.phases.find((p) => p.start_date === boundary);
        if (next) {
          price = clone(st.get(st.prices, 'price', next.items[0]!.price));
          sched.current_phase = {
            start_date: next.start_date,
            end_date: next.end_date ?? addInterval(boundary, price.recurring!),
          };
          enteredPhase = true;
        } else if (sched.end_behavior === 'cancel') {
          sched.status = 'completed';
          sched.completed_at = boundary;
          st.emit('subscription_schedule.completed', sched);
          sub.schedule = null;
          cancelSubscriptionNow(st, sub, boundary);
          break;
        } else {
          releaseSchedule(st, sched);
        }
      }

      const previous = { items: clone(sub.items), status: sub.status };
      const failing = st.failingRenewals.has(sub.id);
      item.price = clone(price);
      item.current_period_start = boundary;
      item.current_period_end = addInterval(boundary, price.recurring!);
      sub.status = failing ? 'past_due' : 'active';
      const inv = createInvoice(st, sub, !failing, 'subscription_cycle');
      st.emit('customer.subscription.updated', sub, previous);
      st.emit(failing ? 'invoice.payment_failed' : 'invoice.paid', inv);
      if (enteredPhase && sched) st.emit('subscription_schedule.updated', sched);
    }
  }
}

/** Pays every open invoice of a subscription (a customer fixing their card): past_due → active. */
export function payOutstanding(st: StripeState, subscriptionId: string): void {
  const sub = st.get(st.subscriptions, 'subscription', subscriptionId);
  st.failingRenewals.delete(sub.id);
  for (const inv of st.invoices.values()) {
    if (inv.parent.subscription_details.subscription !== sub.id || inv.status !== 'open') continue;
    inv.status = 'paid';
    inv.amount_paid = inv.amount_due;
    st.emit('invoice.paid', inv);
  }
  if (sub.status === 'past_due' || sub.status === 'unpaid') {
    const previous = { status: sub.status };
    sub.status = 'active';
    st.emit('customer.subscription.updated', sub, previous);
  }
}
