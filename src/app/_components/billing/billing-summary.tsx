'use client';
import type { ReactNode } from 'react';
// Where the account stands: status, plan, trial countdown, period end, pending changes, earlybird.
import { isPaying } from '@/billing/stripe-status';
import { PLAN_NAMES, SUBSCRIPTION_STATUS_LABELS } from '../../_lib/labels';
import type { BillingStatus } from '../../_lib/queries';
import { formatDate, formatDateTime, formatRelative } from '../../_lib/time';
import { useNow } from '../../_lib/use-now';

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="dl-row">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The badge: the row's status, except where it would mislead (a trial row whose access is now earlybird, or over). */
function statusBadge(s: BillingStatus, now: Date, earlybirdActive: boolean) {
  if (!isPaying(s.status) && earlybirdActive) return { label: 'Earlybird access', tone: 'ok' as const };
  if (s.status === 'trialing' && s.trialEndsAt && s.trialEndsAt <= now)
    return { label: 'Trial ended', tone: 'bad' as const };
  return SUBSCRIPTION_STATUS_LABELS[s.status];
}

/** What lapsed, in words, for the suspension row (the same facts the suspension email names). */
function suspensionCause(s: BillingStatus): string {
  const earlybirdLast = s.earlybirdExpiresAt && (!s.trialEndsAt || s.earlybirdExpiresAt > s.trialEndsAt);
  if (s.status === 'past_due') return 'a payment failed';
  if (s.status === 'trialing') return earlybirdLast ? 'your earlybird access ended' : 'your free trial ended';
  if (!s.plan && earlybirdLast) return 'your earlybird access ended';
  return 'your subscription ended';
}

export function BillingSummary({ status: s }: { status: BillingStatus }) {
  const now = useNow(30_000);
  const paying = isPaying(s.status);
  const earlybirdActive = s.earlybirdExpiresAt !== null && s.earlybirdExpiresAt > now;
  const st = statusBadge(s, now, earlybirdActive);

  return (
    <section className="card" aria-labelledby="summary-title">
      <h2 id="summary-title">Your plan</h2>
      <dl className="dl" data-testid="billing-summary">
        <Row term="Status">
          <span className={`badge badge-${st.tone}`} data-testid="billing-status">
            {st.label}
          </span>
          {s.suspendedAt ? <span className="badge badge-bad">Suspended</span> : null}
        </Row>
        {s.plan && s.status !== 'trialing' ? (
          <Row term="Plan">
            <span data-testid="billing-plan">{PLAN_NAMES[s.plan].name}</span>{' '}
            <span className="muted">— {PLAN_NAMES[s.plan].detail}</span>
          </Row>
        ) : null}
        {s.status === 'trialing' && s.trialEndsAt ? (
          <Row term="Free trial">
            {s.trialEndsAt > now ? (
              <>
                <strong data-testid="trial-countdown">Ends {formatRelative(s.trialEndsAt, now)}</strong>{' '}
                <span className="muted">({formatDateTime(s.trialEndsAt)})</span>
              </>
            ) : (
              <>Ended on {formatDate(s.trialEndsAt)}</>
            )}
          </Row>
        ) : null}
        {paying && s.currentPeriodEnd ? (
          <Row term={s.cancelAtPeriodEnd ? 'Access until' : s.status === 'past_due' ? 'Period ends' : 'Renews on'}>
            {formatDate(s.currentPeriodEnd)} <span className="muted">({formatRelative(s.currentPeriodEnd, now)})</span>
          </Row>
        ) : null}
        {paying && s.cancelAtPeriodEnd ? (
          <Row term="Pending change">
            <span data-testid="pending-cancel">
              Cancels at the end of this period{s.currentPeriodEnd ? `, on ${formatDate(s.currentPeriodEnd)}` : ''}.
            </span>
          </Row>
        ) : null}
        {paying && s.scheduledPlan && s.scheduledPlan !== s.plan ? (
          <Row term="Pending change">
            <span data-testid="pending-switch">
              Switches to {PLAN_NAMES[s.scheduledPlan].name}
              {s.currentPeriodEnd ? ` on ${formatDate(s.currentPeriodEnd)}` : ' at the end of this period'}.
            </span>
          </Row>
        ) : null}
        {s.earlybirdExpiresAt ? (
          <Row term="Earlybird access">
            {earlybirdActive
              ? `Until ${formatDate(s.earlybirdExpiresAt)} (${formatRelative(s.earlybirdExpiresAt, now)})`
              : `Ended on ${formatDate(s.earlybirdExpiresAt)}`}
          </Row>
        ) : null}
        {s.suspendedAt ? (
          <Row term="Suspended">
            Since {formatDate(s.suspendedAt)}, because {suspensionCause(s)}.
            {s.destructionDeadline ? (
              <>
                {' '}
                <strong>Your instance and its data will be deleted on {formatDate(s.destructionDeadline)}</strong>{' '}
                unless you pay or subscribe.
              </>
            ) : null}
          </Row>
        ) : null}
      </dl>
    </section>
  );
}
