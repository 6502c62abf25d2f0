// POST/GET /api/trpc/*: the fetch adapter with the session user in context.
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { requestIdFrom } from '@/platform/logger';
import type { AppDeps } from '../app-deps';
import { sessionUser } from '../auth';
import { appRouter } from '../routers/app';

export function createTrpcHandler(deps: AppDeps) {
  return async (req: Request): Promise<Response> => {
    const requestId = requestIdFrom(req.headers);
    const log = deps.logger.child({ requestId });
    const res = await fetchRequestHandler({
      endpoint: '/api/trpc',
      req,
      router: appRouter,
      createContext: async () => ({ deps, user: await sessionUser(deps.auth, req.headers), requestId, logger: log }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') log.error({ path, err: error.cause ?? error }, 'trpc error');
      },
    });
    res.headers.set('x-request-id', requestId);
    return res;
  };
}
