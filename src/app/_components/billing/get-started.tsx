'use client';
// For someone without a paid plan: the free trial (once), a subscription, or earlybird access.
// Checkout happens on the payment provider's page; we only send the browser there.
import { useState } from 'react';
import type { Plan } from '@/db/schema';
import { PLAN_CHOICES, PLAN_NAMES } from '../../_lib/labels';
import { type BillingStatus, billingQuery, instanceQuery } from '../../_lib/queries';
import { formatDateTime } from '../../_lib/time';
import { api } from '../../_lib/trpc';
import { ActionButton, ActionResult, RedirectButton, useAction, useRedirect } from '../action';

export function GetStarted({ status: s, onNews }: { status: BillingStatus; onNews: (message: string) => void }) {
  const [plan, setPlan] = useState<Plan>(s.plan ?? 'standard');
  // The trial card disappears once the trial has started, so its good news is told by the panel.
  const trial = useAction(() => api.startTrial.mutate(), {
    invalidate: [billingQuery.queryKey, instanceQuery.queryKey],
    onDone: (r) =>
      onNews(`Your free trial has started. It ends ${formatDateTime(r.trialEndsAt)}. Next, start your instance.`),
  });
  const subscribe = useRedirect((p: Plan) => api.createSubscriptionCheckout.mutate({ plan: p }));
  const earlybird = useRedirect(() => api.createEarlybirdCheckout.mutate());
  const earlybirdActive = s.earlybirdExpiresAt !== null && s.earlybirdExpiresAt > new Date();

  return (
    <>
      {s.trialAvailable ? (
        <div className="card card-highlight">
          <h2>Try it free</h2>
          <p>Your own assistant for free, no card needed. When the trial ends you can subscribe to keep it.</p>
          <ActionButton onClick={() => trial.mutate()} pending={trial.isPending} pendingLabel="Starting your trial…">
            Start free trial
          </ActionButton>
          <ActionResult m={trial} success={null} />
        </div>
      ) : null}

      <div className="card">
        <h2>{s.status === 'canceled' || s.status === 'unpaid' ? 'Subscribe again' : 'Subscribe'}</h2>
        <fieldset className="plans">
          <legend>Choose a plan</legend>
          {PLAN_CHOICES.map((p) => (
            <label key={p} className={`plan-option${plan === p ? ' plan-option-selected' : ''}`}>
              <input type="radio" name="plan" value={p} checked={plan === p} onChange={() => setPlan(p)} />
              <span>
                <strong>{PLAN_NAMES[p].name}</strong>
                <span className="muted"> — {PLAN_NAMES[p].detail}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <RedirectButton m={subscribe} onClick={() => subscribe.mutate(plan)} pendingLabel="Opening checkout…">
          Subscribe to {PLAN_NAMES[plan].name}
        </RedirectButton>
      </div>

      {!earlybirdActive && s.earlybirdOnSale ? (
        <div className="card">
          <h2>Earlybird access</h2>
          <p>One payment for access until the earlybird date — no subscription.</p>
          <RedirectButton
            m={earlybird}
            variant="secondary"
            onClick={() => earlybird.mutate()}
            pendingLabel="Opening checkout…"
          >
            Buy earlybird access
          </RedirectButton>
        </div>
      ) : null}
    </>
  );
}
