// POST/GET /api/trpc/*: the fetch adapter with the session user in context. Batches are capped at
// MAX_BATCH_SIZE calls (each may be a database read or a machine call); the body cap is applied in
// front of this handler (app-handlers.ts).
import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { requestIdFrom } from '@/platform/logger';
import type { AppDeps } from '../app-deps';
import { sessionUser } from '../auth';
import { MAX_BATCH_SIZE } from '../batch-size';
import { ContextFailure } from '../errors';
import { appRouter } from '../routers/app';

export function createTrpcHandler(deps: AppDeps) {
  return async (req: Request): Promise<Response> => {
    const requestId = requestIdFrom(req.headers);
    const log = deps.logger.child({ requestId });
    const res = await fetchRequestHandler({
      endpoint: '/api/trpc',
      req,
      router: appRouter,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: async () => {
        try {
          return { deps, user: await sessionUser(deps.auth, req.headers), requestId, logger: log };
        } catch (err) {
          // no context yet: the request id travels in the cause, for the client's message
          throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new ContextFailure(requestId, err) });
        }
      },
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') log.error({ path, err: error.cause ?? error }, 'trpc error');
      },
      responseMeta: ({ errors }) => {
        // a throttled call says when to come back, in the standard header as well as in data.retryAfterS
        const waits = errors.map((e) => (e.cause as { retryAfterS?: number } | undefined)?.retryAfterS ?? 0);
        const retryAfter = Math.max(0, ...waits);
        return retryAfter > 0 ? { headers: { 'retry-after': String(retryAfter) } } : {};
      },
    });
    res.headers.set('x-request-id', requestId);
    return res;
  };
}
