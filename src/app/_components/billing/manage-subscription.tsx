'use client';
// For a paying subscriber: cancel (at period end) or undo it, switch plan (at period end) or undo
// it, and the payment provider's portal for cards and invoices.
import { useState } from 'react';
import { PLAN_CHOICES, PLAN_NAMES } from '../../_lib/labels';
import { type BillingStatus, billingQuery } from '../../_lib/queries';
import { formatDate } from '../../_lib/time';
import { api } from '../../_lib/trpc';
import { ActionButton, ActionResult, RedirectButton, useAction, useRedirect } from '../action';

export function ManageSubscription({ status: s }: { status: BillingStatus }) {
  const [confirmCancel, setConfirmCancel] = useState(false);
  const opts = { invalidate: [billingQuery.queryKey] };
  const cancel = useAction(() => api.cancelSubscription.mutate(), { ...opts, onDone: () => setConfirmCancel(false) });
  const reactivate = useAction(() => api.reactivateSubscription.mutate(), opts);
  const otherPlan = PLAN_CHOICES.find((p) => p !== s.plan) ?? 'standard';
  const switchPlan = useAction(() => api.switchPlan.mutate({ plan: otherPlan }), opts);
  const cancelSwitch = useAction(() => api.cancelPlanSwitch.mutate(), opts);
  const portal = useRedirect(() => api.createBillingPortalSession.mutate());
  const periodEnd = s.currentPeriodEnd ? formatDate(s.currentPeriodEnd) : 'the end of this period';
  const switchingTo = s.scheduledPlan !== null && s.scheduledPlan !== s.plan ? s.scheduledPlan : null;

  return (
    <>
      <div className="card">
        <h2>Change plan</h2>
        {switchingTo ? (
          <>
            <p>
              You are switching to <strong>{PLAN_NAMES[switchingTo].name}</strong> on {periodEnd}.
            </p>
            <ActionButton
              variant="secondary"
              onClick={() => cancelSwitch.mutate()}
              pending={cancelSwitch.isPending}
              pendingLabel="Keeping your plan…"
            >
              Keep {s.plan ? PLAN_NAMES[s.plan].name : 'my current plan'}
            </ActionButton>
          </>
        ) : (
          <>
            <p>
              Switch to <strong>{PLAN_NAMES[otherPlan].name}</strong> — {PLAN_NAMES[otherPlan].detail} The change takes
              effect on {periodEnd}.
            </p>
            <ActionButton
              variant="secondary"
              onClick={() => switchPlan.mutate()}
              pending={switchPlan.isPending}
              pendingLabel="Scheduling the switch…"
              disabled={s.cancelAtPeriodEnd}
            >
              Switch to {PLAN_NAMES[otherPlan].name}
            </ActionButton>
            {s.cancelAtPeriodEnd ? <p className="hint">Reactivate your subscription first to switch plans.</p> : null}
          </>
        )}
        <ActionResult
          m={switchPlan}
          success={`Done. You will move to ${PLAN_NAMES[otherPlan].name} on ${periodEnd}.`}
        />
        <ActionResult m={cancelSwitch} success="Done. Your plan stays as it is." />
      </div>

      <div className="card">
        <h2>Payment details and invoices</h2>
        <p>Update your card, download invoices or change your billing address.</p>
        <RedirectButton
          m={portal}
          variant="secondary"
          onClick={() => portal.mutate()}
          pendingLabel="Opening the billing portal…"
        >
          Open billing portal
        </RedirectButton>
      </div>

      <div className="card">
        <h2>{s.cancelAtPeriodEnd ? 'Your subscription is ending' : 'Cancel subscription'}</h2>
        {s.cancelAtPeriodEnd ? (
          <>
            <p>Your subscription ends on {periodEnd}. Changed your mind? Keep it and nothing changes.</p>
            <ActionButton
              onClick={() => reactivate.mutate()}
              pending={reactivate.isPending}
              pendingLabel="Reactivating…"
            >
              Keep my subscription
            </ActionButton>
          </>
        ) : confirmCancel ? (
          <fieldset className="confirm" aria-labelledby="cancel-confirm-text">
            <p id="cancel-confirm-text">
              Cancel your subscription? You keep your assistant until {periodEnd}; after that it stops.
            </p>
            <div className="button-row">
              <ActionButton
                variant="danger"
                onClick={() => cancel.mutate()}
                pending={cancel.isPending}
                pendingLabel="Canceling…"
              >
                Yes, cancel at period end
              </ActionButton>
              <button
                type="button"
                className="btn btn-secondary"
                onClick={() => setConfirmCancel(false)}
                disabled={cancel.isPending}
              >
                No, keep it
              </button>
            </div>
          </fieldset>
        ) : (
          <>
            <p>You keep your assistant until the end of the period you have paid for.</p>
            <button type="button" className="btn btn-danger-outline" onClick={() => setConfirmCancel(true)}>
              Cancel subscription…
            </button>
          </>
        )}
        <ActionResult m={cancel} success={`Your subscription will end on ${periodEnd}.`} />
        <ActionResult m={reactivate} success="Your subscription continues. Nothing else changes." />
      </div>
    </>
  );
}
