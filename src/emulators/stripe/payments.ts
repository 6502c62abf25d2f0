// Money moving after a checkout: payment intents (one per paid session or invoice), the invoice's
// payments list (how the 2025+ API links an invoice to the payment that paid it), refunds, and
// asynchronous payment methods (a session that completes unpaid and settles later).
import { createInvoice } from './billing-ops';
import { ApiError, type Invoice, invalid, newId } from './objects';
import type { StripeState } from './state';

export type PaymentRecord = { id: string; amount: number; refunded: number; customer: string | null; charge: string };

export type Refund = {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: null;
  charge: string;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer' | null;
  receipt_number: null;
  status: 'succeeded';
};

/** The payment of a paid invoice (made on first ask: invoices are paid in several places of the emulator). */
function invoicePayment(st: StripeState, inv: Invoice): PaymentRecord | null {
  if (inv.status !== 'paid') return null;
  let id = st.invoicePayments.get(inv.id);
  if (!id) {
    id = st.recordPayment(inv.amount_paid, inv.customer).id;
    st.invoicePayments.set(inv.id, id);
  }
  return st.payments.get(id) ?? null;
}

export function invoicePaymentObject(st: StripeState, inv: Invoice) {
  const p = invoicePayment(st, inv);
  if (!p) return null;
  return {
    id: `inpay_${inv.id.slice(3)}`,
    object: 'invoice_payment',
    amount_paid: p.amount,
    amount_requested: inv.amount_due,
    currency: inv.currency,
    invoice: inv.id,
    is_default: true,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: p.id },
    status: 'paid',
    created: inv.created,
  };
}

export function createRefund(
  st: StripeState,
  params: { paymentIntent: string; amount?: number; reason?: string; metadata: Record<string, string> },
): Refund {
  const p = st.payments.get(params.paymentIntent);
  if (!p)
    throw new ApiError(
      404,
      'invalid_request_error',
      `No such payment_intent: '${params.paymentIntent}'`,
      'payment_intent',
      'resource_missing',
    );
  const left = p.amount - p.refunded;
  if (left <= 0)
    throw new ApiError(
      400,
      'invalid_request_error',
      `Charge ${p.charge} has already been refunded.`,
      undefined,
      'charge_already_refunded',
    );
  const amount = params.amount ?? left;
  if (amount > left)
    throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, 'amount');
  p.refunded += amount;
  const refund: Refund = {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: p.charge,
    created: st.nowS(),
    currency: 'usd',
    metadata: params.metadata,
    payment_intent: p.id,
    reason: (params.reason as Refund['reason']) ?? null,
    receipt_number: null,
    status: 'succeeded',
  };
  st.refunds.set(refund.id, refund);
  st.emit('refund.created', refund);
  return refund;
}

/**
 * An asynchronous payment method (bank debit) settles: the session's payment succeeds or fails.
 * For a subscription, the incomplete subscription becomes active (or incomplete_expired).
 */
export function settleAsyncPayment(st: StripeState, sessionId: string, succeeded: boolean): void {
  const s = st.get(st.sessions, 'checkout session', sessionId);
  if (s.status !== 'complete' || s.payment_status !== 'unpaid')
    throw invalid(`Checkout Session ${s.id} has no pending asynchronous payment.`);
  if (succeeded) {
    s.payment_status = 'paid';
    if (s.mode === 'payment') s.payment_intent = st.recordPayment(s.amount_total, s.customer).id;
  }
  const sub = s.subscription ? st.subscriptions.get(s.subscription) : undefined;
  if (sub) {
    const previous = { status: sub.status };
    sub.status = succeeded ? 'active' : 'incomplete_expired';
    if (succeeded) {
      const inv = sub.latest_invoice ? st.invoices.get(sub.latest_invoice) : undefined;
      if (inv) {
        inv.status = 'paid';
        inv.amount_paid = inv.amount_due;
        st.emit('invoice.paid', inv);
      } else st.emit('invoice.paid', createInvoice(st, sub, true, 'subscription_create'));
    }
    st.emit('customer.subscription.updated', sub, previous);
  }
  st.emit(
    succeeded ? 'checkout.session.async_payment_succeeded' : 'checkout.session.async_payment_failed',
    st.publicSession(s.id),
  );
}
