// One table from named domain errors to tRPC codes. Domain modules never throw TRPCError themselves;
// a middleware on every procedure (src/server/trpc.ts) runs thrown errors through this table.
import { type TRPC_ERROR_CODE_KEY, TRPCError } from '@trpc/server';
import { BillingError } from '@/billing/errors';
import { InstanceError } from '@/instances/errors';
import { Throttled } from './throttle';

/** Carries a machine-readable reason code into the error's `data.reason`. */
export class ReasonedError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    /** seconds until a throttled call may be tried again (TOO_MANY_REQUESTS only) */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'ReasonedError';
  }
}

type Mapped = { code: TRPC_ERROR_CODE_KEY; message: string; reason: string; retryAfterS?: number };

const BILLING_CODES: Record<BillingError['kind'], TRPC_ERROR_CODE_KEY> = {
  conflict: 'CONFLICT',
  precondition_failed: 'PRECONDITION_FAILED',
  not_found: 'NOT_FOUND',
  bad_request: 'BAD_REQUEST',
  upstream_unavailable: 'SERVICE_UNAVAILABLE',
};

const INSTANCE_CODES: Record<InstanceError['kind'], TRPC_ERROR_CODE_KEY> = {
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  bad_request: 'BAD_REQUEST',
  forbidden: 'FORBIDDEN',
  unavailable: 'SERVICE_UNAVAILABLE',
};

/** Add a line here for each domain's error class. */
const MAPPERS: Array<(err: unknown) => Mapped | null> = [
  (err) =>
    err instanceof BillingError ? { code: BILLING_CODES[err.kind], message: err.message, reason: err.code } : null,
  (err) =>
    err instanceof InstanceError ? { code: INSTANCE_CODES[err.kind], message: err.message, reason: err.code } : null,
  (err) =>
    err instanceof Throttled
      ? { code: 'TOO_MANY_REQUESTS', message: err.message, reason: 'rate_limited', retryAfterS: err.retryAfterS }
      : null,
];

export function domainErrorToTrpc(err: unknown): TRPCError | null {
  for (const map of MAPPERS) {
    const hit = map(err);
    if (hit)
      return new TRPCError({
        code: hit.code,
        message: hit.message,
        cause: new ReasonedError(hit.reason, hit.message, hit.retryAfterS),
      });
  }
  return null;
}

/**
 * A failure before the procedure's context exists (the session lookup, when the database is down):
 * it carries the request id the error formatter would otherwise read from the context.
 */
export class ContextFailure extends Error {
  constructor(
    readonly requestId: string,
    cause: unknown,
  ) {
    super('creating the request context failed', { cause });
    this.name = 'ContextFailure';
  }
}

/** What a client reads instead of an internal error's text: the detail stays in the log, under this id. */
export function internalErrorMessage(requestId: string | undefined): string {
  return `Something went wrong on our side. Please try again in a moment${requestId ? ` (reference ${requestId})` : ''}.`;
}
