// Every outgoing Stripe call of a procedure goes through here: a failure is logged with its reason
// (type, code, request id — never the key) and becomes a domain error by its class: Stripe not
// answering or failing on its side is "try again"; Stripe refusing the request is named, with its reason.
import Stripe from 'stripe';
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';
import {
  BillingError,
  BillingNotConfigured,
  PaymentDeclined,
  PaymentProviderConflict,
  PaymentProviderRefused,
  PaymentProviderUnavailable,
} from './errors';
import type { StripeClient } from './stripe-client';

/** The domain error for a failed Stripe call. Domain errors thrown inside `fn` pass through unchanged. */
function classifyStripeError(err: unknown): BillingError {
  const e = err as Stripe.errors.StripeError;
  if (!(err instanceof Stripe.errors.StripeError)) return PaymentProviderUnavailable(); // network, timeout
  if (e instanceof Stripe.errors.StripeConnectionError || e instanceof Stripe.errors.StripeAPIError)
    return PaymentProviderUnavailable();
  if (e instanceof Stripe.errors.StripeRateLimitError) return PaymentProviderUnavailable();
  if ((e.statusCode ?? 0) >= 500 || e.statusCode === undefined) return PaymentProviderUnavailable();
  if (e instanceof Stripe.errors.StripeCardError) return PaymentDeclined(e.message);
  if (e instanceof Stripe.errors.StripeIdempotencyError || e.statusCode === 409) return PaymentProviderConflict();
  // invalid request (400/404), permission: the request itself was refused
  return PaymentProviderRefused(e.message);
}

export async function callStripe<T>(logger: Logger, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BillingError) throw err;
    const mapped = classifyStripeError(err);
    logger.error({ stripeCall: what, ...describeStripeError(err), answered: mapped.code }, 'stripe call failed');
    throw mapped;
  }
}

export function describeStripeError(err: unknown): Record<string, unknown> {
  if (err instanceof Stripe.errors.StripeError) {
    return { type: err.type, code: err.code, status: err.statusCode, requestId: err.requestId, message: err.message };
  }
  return { message: errorMessage(err) };
}

export function requireStripe(stripe: StripeClient | null): StripeClient {
  if (!stripe) throw BillingNotConfigured();
  return stripe;
}
