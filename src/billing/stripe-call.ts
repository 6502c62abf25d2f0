// Every outgoing Stripe call of a procedure goes through here: a failure is logged with its reason
// (type, code, request id — never the key) and becomes one retryable domain error.
import Stripe from 'stripe';
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';
import { BillingNotConfigured, PaymentProviderUnavailable } from './errors';
import type { StripeClient } from './stripe-client';

export async function callStripe<T>(logger: Logger, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    logger.error({ stripeCall: what, ...describeStripeError(err) }, 'stripe call failed');
    throw PaymentProviderUnavailable();
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
