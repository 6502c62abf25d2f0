// GET /api/dev/mail[?to=address]: the development outbox as JSON (dev-outbox.ts), newest first, for
// scripts and tests; the page /dev/mail shows the same to a person. 404 in production.
import type { AppDeps } from '../app-deps';

export function createDevMailHandler(deps: Pick<AppDeps, 'devOutbox'>) {
  return async (req: Request): Promise<Response> => {
    if (!deps.devOutbox) return Response.json({ error: 'Not found' }, { status: 404 });
    if (req.method !== 'GET') return Response.json({ error: 'Use GET.' }, { status: 405, headers: { allow: 'GET' } });
    const to = new URL(req.url).searchParams.get('to') ?? undefined;
    return Response.json({ mails: deps.devOutbox.list(to) }, { headers: { 'cache-control': 'no-store' } });
  };
}
