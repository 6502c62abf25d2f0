// Named domain errors of billing. The tRPC layer maps them to codes (src/server/errors.ts).
export class BillingError extends Error {
  constructor(
    readonly kind:
      | 'conflict'
      | 'precondition_failed'
      | 'not_found'
      | 'bad_request'
      | 'upstream_unavailable',
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
