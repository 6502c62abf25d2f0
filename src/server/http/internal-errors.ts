// The last line between an internal failure and the client. A handler that throws, or a library answering
// 5xx with its own text (better-auth), gets a generic message with the request id; the detail is logged.
import { requestIdFrom } from '@/platform/logger';
import type { AppDeps } from '../app-deps';
import { internalErrorMessage } from '../errors';

type Handler = (req: Request) => Promise<Response>;

function internalErrorResponse(requestId: string): Response {
  return Response.json(
    { code: 'INTERNAL_ERROR', message: internalErrorMessage(requestId), requestId },
    { status: 500, headers: { 'cache-control': 'no-store', 'x-request-id': requestId } },
  );
}

export function hidingInternalErrors(
  route: string,
  handler: Handler,
  deps: Pick<AppDeps, 'logger'>,
  opts: { rewrite5xxBodies?: boolean } = {},
): Handler {
  return async (req) => {
    const requestId = requestIdFrom(req.headers);
    let res: Response;
    try {
      res = await handler(req);
    } catch (err) {
      deps.logger.error({ err, route, requestId }, 'request failed');
      return internalErrorResponse(requestId);
    }
    if (opts.rewrite5xxBodies && res.status >= 500) {
      const body = await res.text().catch(() => '');
      deps.logger.error({ route, requestId, status: res.status, body: body.slice(0, 2_000) }, 'request failed');
      return internalErrorResponse(requestId);
    }
    return res;
  };
}
