// The gate of every /api/cron/* endpoint: `Authorization: Bearer CRON_SECRET`, by POST (our scheduler,
// any external one) or GET (Vercel Cron calls with GET; the bearer secret is what authorizes either).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppDeps } from '../app-deps';

export const NO_STORE = { 'cache-control': 'no-store' };

/** Compares digests so neither the content nor the length of the secret leaks through timing. */
function bearerMatches(header: string | null, secret: string): boolean {
  const given = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() ?? '';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

/** The response refusing this call, or null when the caller is the scheduler. */
export function refuseUnlessScheduler(
  req: Request,
  deps: Pick<AppDeps, 'config' | 'logger'>,
  path: string,
): Response | null {
  if (req.method !== 'POST' && req.method !== 'GET') {
    return Response.json({ error: 'Use POST.' }, { status: 405, headers: { allow: 'GET, POST', ...NO_STORE } });
  }
  const secret = deps.config.CRON_SECRET;
  if (!secret) {
    return Response.json(
      { error: 'The cron endpoint is disabled: set CRON_SECRET to enable it.' },
      { status: 503, headers: NO_STORE },
    );
  }
  if (!bearerMatches(req.headers.get('authorization'), secret)) {
    deps.logger.warn({ path }, 'cron: rejected a call without the right bearer secret');
    return Response.json(
      { error: 'Unauthorized: send the CRON_SECRET as "Authorization: Bearer <secret>".' },
      { status: 401, headers: { 'www-authenticate': 'Bearer', ...NO_STORE } },
    );
  }
  return null;
}
