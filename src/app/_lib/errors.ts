// Turns whatever a call failed with into words a person can act on. Raw JSON, stack traces and
// internal messages never reach the page: unknown failures become one calm generic sentence.
import { TRPCClientError } from '@trpc/client';
import { ACCESS_DENIAL_MESSAGES, ACCESS_DENIAL_REASONS, type AccessDenialReason } from '@/billing/access';

export type FriendlyError = {
  message: string;
  /** tRPC code, e.g. FORBIDDEN; 'NETWORK' when the server could not be reached */
  code: string;
  /** machine-readable reason from the server (access denials, domain errors) */
  reason?: string;
  /** set when the fix is to sign in again */
  signedOut?: boolean;
};

const GENERIC = 'Something went wrong on our side. Please try again in a moment.';
const NETWORK = 'Could not reach KiloClaw. Check your connection and try again.';
const SIGNED_OUT = 'Your session has ended. Please sign in again.';

const CODE_FALLBACKS: Record<string, string> = {
  BAD_REQUEST: 'That request was not valid. Please check what you entered.',
  UNAUTHORIZED: SIGNED_OUT,
  FORBIDDEN: 'You do not have access to this yet.',
  NOT_FOUND: 'That could not be found. It may have been removed already.',
  CONFLICT: 'That conflicts with the current state. Refresh the page and try again.',
  PRECONDITION_FAILED: 'That is not possible right now. Refresh the page and try again.',
  TOO_MANY_REQUESTS: 'Too many attempts. Please wait a minute and try again.',
  SERVICE_UNAVAILABLE: 'A service we depend on is not answering. Please try again in a moment.',
  TIMEOUT: 'That took too long. Please try again.',
};

export function isAccessDenialReason(value: unknown): value is AccessDenialReason {
  return typeof value === 'string' && (ACCESS_DENIAL_REASONS as readonly string[]).includes(value);
}

/** A server message is shown only when it reads like a sentence (not JSON, not a stack). */
export function readable(message: string | null | undefined): message is string {
  if (!message) return false;
  const m = message.trim();
  return m.length > 0 && m.length <= 300 && !/^[[{<]/.test(m) && !m.includes('\n    at ');
}

export function describeError(err: unknown): FriendlyError {
  if (err instanceof TRPCClientError) {
    const data = (err.data ?? {}) as { code?: string; reason?: unknown; fieldErrors?: Record<string, string> };
    const code = data.code;
    if (!code) return { code: 'NETWORK', message: NETWORK };
    if (code === 'FORBIDDEN' && isAccessDenialReason(data.reason)) {
      return { code, reason: data.reason, message: ACCESS_DENIAL_MESSAGES[data.reason] };
    }
    if (code === 'UNAUTHORIZED') return { code, message: SIGNED_OUT, signedOut: true };
    if (code === 'BAD_REQUEST' && data.fieldErrors) {
      const first = Object.values(data.fieldErrors)[0];
      if (readable(first)) return { code, message: first };
    }
    if (code === 'INTERNAL_SERVER_ERROR') return { code, message: GENERIC };
    const reason = typeof data.reason === 'string' ? data.reason : undefined;
    return { code, reason, message: readable(err.message) ? err.message : (CODE_FALLBACKS[code] ?? GENERIC) };
  }
  if (err instanceof TypeError) return { code: 'NETWORK', message: NETWORK };
  return { code: 'UNKNOWN', message: GENERIC };
}

/** Access denials, bad input and sign-outs will not fix themselves; only transient failures are retried. */
export function isRetryable(err: unknown): boolean {
  const { code } = describeError(err);
  return code === 'NETWORK' || code === 'INTERNAL_SERVER_ERROR' || code === 'SERVICE_UNAVAILABLE' || code === 'TIMEOUT';
}

/** What fixes an access denial, as a link label on the billing page. */
export const ACCESS_FIX_LABELS: Record<AccessDenialReason, string> = {
  no_subscription: 'Start a free trial or subscribe',
  trial_expired: 'Subscribe',
  earlybird_expired: 'Subscribe',
  subscription_ended: 'Subscribe again',
  suspended: 'Pay or subscribe',
};
