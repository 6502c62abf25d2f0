// Named domain errors of billing. The tRPC layer maps them to codes (src/server/errors.ts).
export class BillingError extends Error {
  constructor(
    readonly kind: 'conflict' | 'precondition_failed' | 'not_found' | 'bad_request' | 'upstream_unavailable',
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'BillingError';
  }
}

export const TrialAlreadyUsed = () =>
  new BillingError('conflict', 'You have already used your free trial — subscribe to continue.', 'trial_already_used');
export const SubscriptionConflict = () =>
  new BillingError(
    'conflict',
    'You already have an active subscription. Manage it from the billing page instead of buying another.',
    'subscription_exists',
  );

// --- plan management and Stripe
export const EarlybirdAlreadyOwned = () =>
  new BillingError('conflict', 'You already have earlybird access — there is nothing more to buy.', 'earlybird_owned');
export const NoActiveSubscription = () =>
  new BillingError(
    'precondition_failed',
    'You have no active subscription to change — subscribe first from the billing page.',
    'no_active_subscription',
  );
export const SameAsCurrentPlan = () =>
  new BillingError('precondition_failed', 'You are already on this plan — pick the other plan to switch.', 'same_plan');
export const NotPendingCancel = () =>
  new BillingError(
    'precondition_failed',
    'Your subscription is not set to cancel, so there is nothing to reactivate.',
    'not_pending_cancel',
  );
export const SwitchWhilePendingCancel = () =>
  new BillingError(
    'precondition_failed',
    'Your subscription is set to cancel at the end of the period — reactivate it before switching plans.',
    'pending_cancel',
  );
export const NoScheduledSwitch = () =>
  new BillingError(
    'precondition_failed',
    'No plan switch is scheduled, so there is nothing to cancel.',
    'no_scheduled_switch',
  );
export const NoStripeCustomer = () =>
  new BillingError(
    'precondition_failed',
    'You have no billing account yet — subscribe first to manage payment details.',
    'no_billing_account',
  );
export const EarlybirdPaymentPending = () =>
  new BillingError(
    'conflict',
    'Your earlybird payment is still being confirmed by your bank — no need to pay again. It shows here once it clears.',
    'payment_pending',
  );
export const EarlybirdClosed = () =>
  new BillingError(
    'precondition_failed',
    'Earlybird access is no longer sold — choose a subscription plan instead.',
    'earlybird_closed',
  );
/** Stripe did not answer (network, timeout) or failed on its side (5xx, rate limit): nothing was written; try again. */
export const PaymentProviderUnavailable = () =>
  new BillingError(
    'upstream_unavailable',
    'Our payment provider did not respond — nothing was changed. Please try again in a minute.',
    'payment_provider_unavailable',
  );
/** Stripe refused the request itself (4xx): retrying the same thing will not help; Stripe's reason is shown. */
export const PaymentProviderRefused = (reason: string) =>
  new BillingError(
    'precondition_failed',
    `Our payment provider refused this change — nothing was changed. Its reason: ${reason}`,
    'payment_provider_refused',
  );
export const PaymentDeclined = (reason: string) =>
  new BillingError('precondition_failed', `The payment was declined: ${reason}`, 'payment_declined');
export const PaymentProviderConflict = () =>
  new BillingError(
    'conflict',
    'This change is already being made (another tab or click) — reload the billing page to see the result.',
    'payment_provider_conflict',
  );
export const BillingNotConfigured = () =>
  new BillingError(
    'upstream_unavailable',
    'Payments are not configured on this server (STRIPE_SECRET_KEY) — please contact support.',
    'billing_not_configured',
  );
