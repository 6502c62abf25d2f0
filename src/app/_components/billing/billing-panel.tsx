'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useState } from 'react';
import { ACCESS_DENIAL_MESSAGES } from '@/billing/access';
// The billing page: where the account stands, and every step that changes it.
import { isPaying } from '@/billing/stripe-status';
import { type BillingStatus, billingQuery } from '../../_lib/queries';
import { formatDateTime } from '../../_lib/time';
import { ErrorNotice } from '../error-notice';
import { Notice } from '../notice';
import { BillingSummary } from './billing-summary';
import { GetStarted } from './get-started';
import { ManageSubscription } from './manage-subscription';

const CONFIRM_POLL_MS = 2_000; // after checkout the webhook lands within seconds; poll until it has
/** Stop asking after this long: a payment not confirmed by then (a bank debit, an outage) needs a person. */
const CONFIRM_POLL_LIMIT_MS = 90_000;

export function BillingPanel() {
  return (
    <Suspense fallback={<BillingLoading />}>
      <BillingPanelInner />
    </Suspense>
  );
}

function BillingLoading() {
  return (
    <section aria-labelledby="billing-title">
      <h1 id="billing-title">Billing</h1>
      <p className="loading" role="status">
        <span className="spinner" aria-hidden="true" /> Loading your billing details…
      </p>
    </section>
  );
}

const earlybirdActive = (s: BillingStatus | undefined) =>
  !!s?.earlybirdExpiresAt && new Date(s.earlybirdExpiresAt) > new Date();
const purchaseRecorded = (s: BillingStatus | undefined) => isPaying(s?.status) || earlybirdActive(s);

function BillingPanelInner() {
  const params = useSearchParams();
  const checkout = params.get('checkout');
  const [news, setNews] = useState<string | null>(null);
  const [pollTimedOut, setPollTimedOut] = useState(false);
  useEffect(() => {
    if (checkout !== 'success') return;
    const t = setTimeout(() => setPollTimedOut(true), CONFIRM_POLL_LIMIT_MS);
    return () => clearTimeout(t);
  }, [checkout]);
  const billing = useQuery({
    ...billingQuery,
    // Coming back from a paid checkout, keep asking (for a bounded time) until Stripe's webhook has
    // recorded what was bought: a plan, or earlybird access.
    refetchInterval: (q) =>
      checkout === 'success' && !pollTimedOut && !purchaseRecorded(q.state.data) ? CONFIRM_POLL_MS : false,
  });

  if (billing.isPending) return <BillingLoading />;
  if (billing.isError) {
    return (
      <section aria-labelledby="billing-title">
        <h1 id="billing-title">Billing</h1>
        <ErrorNotice
          error={billing.error}
          title="We could not load your billing details"
          onRetry={() => void billing.refetch()}
        />
      </section>
    );
  }

  const s = billing.data;
  const paying = isPaying(s.status);
  return (
    <section aria-labelledby="billing-title" className="stack">
      <h1 id="billing-title">Billing</h1>
      {checkout === 'success' ? (
        paying ? (
          <Notice tone="success" title="Thank you — your subscription is active.">
            <p>Your assistant is ready to use.</p>
          </Notice>
        ) : s.earlybirdExpiresAt && earlybirdActive(s) ? (
          <Notice tone="success" title="Thank you — your earlybird access is active.">
            <p>
              You have access until {formatDateTime(s.earlybirdExpiresAt)}.{' '}
              {s.access.allowed ? <Link href="/instance">Go to your instance</Link> : null}
            </p>
          </Notice>
        ) : pollTimedOut ? (
          <Notice tone="warning" title="We have not received the confirmation yet">
            <p>
              Your payment provider has not confirmed the payment so far. Some payment methods take longer: reload this
              page in a few minutes. If you were charged and it still does not show, contact support — you will not be
              charged twice.
            </p>
          </Notice>
        ) : (
          <Notice tone="info" title="Payment received">
            <p>
              <span className="spinner" aria-hidden="true" /> We are confirming your purchase with our payment provider.
              This page updates by itself.
            </p>
          </Notice>
        )
      ) : null}
      {news ? (
        <Notice tone="success">
          <p>{news}</p>
          {s.access.allowed ? (
            <p>
              <Link href="/instance">Go to your instance</Link>
            </p>
          ) : null}
        </Notice>
      ) : null}
      {checkout === 'canceled' ? <Notice tone="info">Checkout was canceled. Nothing was charged.</Notice> : null}
      {!s.access.allowed ? (
        <Notice tone="warning" title="Your assistant is not available right now">
          <p data-reason={s.access.reason}>{ACCESS_DENIAL_MESSAGES[s.access.reason]}</p>
        </Notice>
      ) : null}
      {s.status === 'past_due' ? (
        <Notice tone="warning" title="Your last payment failed">
          <p>Update your card in the billing portal to keep your assistant running.</p>
        </Notice>
      ) : null}
      <BillingSummary status={s} />
      {paying ? <ManageSubscription status={s} /> : <GetStarted status={s} onNews={setNews} />}
    </section>
  );
}
