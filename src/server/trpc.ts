// tRPC building blocks: the context type, the transformer, and the two gates.

import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { ACCESS_DENIAL_MESSAGES, type AccessDenialReason, decideAccess } from '@/billing/access';
import { loadAccessRows } from '@/billing/subscription-store';
import type { Logger } from '@/platform/logger';
import { issuePath, issueText } from '@/platform/zod-issues';
import type { AppDeps } from './app-deps';
import type { SessionUser } from './auth';
import { MAX_BATCH_SIZE } from './batch-size';
import { ContextFailure, domainErrorToTrpc, internalErrorMessage, ReasonedError } from './errors';
import { THROTTLES, type ThrottleName, takeThrottle } from './throttle';

export type TrpcContext = {
  deps: AppDeps;
  user: SessionUser | null;
  requestId: string;
  logger: Logger;
};

/** tRPC's own refusal of a batch over maxBatchSize (it has no code of its own, only this message). */
const isOversizedBatch = (error: TRPCError) =>
  error.code === 'BAD_REQUEST' && error.message === 'Batch call exceeds maximum size';

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error, ctx }) {
    const cause = error.cause;
    const { stack: _stack, ...data } = shape.data;
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      // the cause (failed SQL with its parameters, a connection address, a provider's raw answer) is in the
      // log under the request id; the client gets the id to quote, never the text
      const requestId = ctx?.requestId ?? (cause instanceof ContextFailure ? cause.requestId : undefined);
      return {
        ...shape,
        message: internalErrorMessage(requestId),
        data: { ...data, ...(requestId ? { requestId } : {}) },
      };
    }
    const zodIssues = error.code === 'BAD_REQUEST' && cause instanceof ZodError ? cause.issues : null;
    return {
      ...shape,
      // tRPC would put the raw issue JSON here; a person should read a sentence
      message: isOversizedBatch(error)
        ? `Too many calls in one request: a batch may hold at most ${MAX_BATCH_SIZE}. Send the rest in another request.`
        : zodIssues
          ? `Invalid input: ${zodIssues.map(issueText).join('; ')}`
          : shape.message,
      data: {
        ...data,
        // zod input errors: one message per field, for forms
        ...(zodIssues
          ? { fieldErrors: Object.fromEntries(zodIssues.map((i) => [issuePath(i) || '_', i.message])) }
          : {}),
        // a machine-readable reason the dashboard can act on (access denials, domain errors)
        ...(cause instanceof ReasonedError ? { reason: cause.reason } : {}),
        // throttled: when to try again (also sent as the Retry-After header by the handler)
        ...(cause instanceof ReasonedError && cause.retryAfterS !== undefined
          ? { retryAfterS: cause.retryAfterS }
          : {}),
      },
    };
  },
});

export const router = t.router;

export const EMAIL_UNVERIFIED_MESSAGE =
  'Confirm your email address first: open the link we sent you, or ask for a new one on the Verify page.';

/** Counts the call against the user's throttle (shared by replicas in PostgreSQL); over it → TOO_MANY_REQUESTS. */
export const throttled = (name: ThrottleName) =>
  t.middleware(async ({ ctx, next }) => {
    if (ctx.deps.rateLimits && ctx.user) {
      await takeThrottle(ctx.deps.db, `user:${ctx.user.id}:${name}`, THROTTLES[name], ctx.deps.clock.now());
    }
    return next();
  });

/** Turns named domain errors into their tRPC code; anything else stays a logged 500. */
const mapDomainErrors = t.middleware(async ({ ctx, next, path }) => {
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    const mapped = domainErrorToTrpc(result.error.cause);
    if (mapped) throw mapped;
    ctx.logger.error({ err: result.error.cause ?? result.error, path }, 'procedure failed');
  }
  return result;
});

const publicProcedure = t.procedure.use(mapDomainErrors);

/** Signed-in users only (billing procedures: a suspended user must still be able to pay). */
export const baseProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** A free trial or an instance needs a confirmed email address (paying does not: checkout proves the card). */
export const verifiedProcedure = baseProcedure.use(({ ctx, next }) => {
  if (!ctx.user.emailVerified) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: EMAIL_UNVERIFIED_MESSAGE,
      cause: new ReasonedError('email_unverified', EMAIL_UNVERIFIED_MESSAGE),
    });
  }
  return next({ ctx });
});

/** Signed-in, confirmed users whose billing grants access to their claw (instance and pairing procedures). */
export const clawAccessProcedure = verifiedProcedure.use(async ({ ctx, next }) => {
  const rows = await loadAccessRows(ctx.deps.db, ctx.user.id);
  const decision = decideAccess(rows, ctx.deps.clock.now());
  if (!decision.allowed) {
    const reason: AccessDenialReason = decision.reason;
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: ACCESS_DENIAL_MESSAGES[reason],
      cause: new ReasonedError(reason, ACCESS_DENIAL_MESSAGES[reason]),
    });
  }
  return next({ ctx });
});
