// POST /api/cron/billing-lifecycle — called by the scheduler with `Authorization: Bearer CRON_SECRET`.
// Thin: authorize, take the run lock, run the lifecycle, return its summary as JSON.
import { createHash, timingSafeEqual } from 'node:crypto';
import { errorMessage } from '@/platform/error-message';
import { LIFECYCLE_LOCK_KEY, lifecycleSettingsFrom } from '@/billing/lifecycle/constants';
import { withAdvisoryLock } from '@/billing/lifecycle/exclusive-run';
import { runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import type { AppDeps } from '../app-deps';

const NO_STORE = { 'cache-control': 'no-store' };

/** Compares digests so neither the content nor the length of the secret leaks through timing. */
export function bearerMatches(header: string | null, secret: string): boolean {
  const given = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() ?? '';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

export function createCronLifecycleHandler(deps: AppDeps) {
  const settings = lifecycleSettingsFrom(deps.config);
  return async (req: Request): Promise<Response> => {
    if (req.method !== 'POST') {
      return Response.json({ error: 'Use POST.' }, { status: 405, headers: { allow: 'POST', ...NO_STORE } });
    }
    const secret = deps.config.CRON_SECRET;
    if (!secret) {
      return Response.json({ error: 'The cron endpoint is disabled: set CRON_SECRET to enable it.' }, { status: 503, headers: NO_STORE });
    }
    if (!bearerMatches(req.headers.get('authorization'), secret)) {
      deps.logger.warn({ path: '/api/cron/billing-lifecycle' }, 'cron: rejected a call without the right bearer secret');
      return Response.json(
        { error: 'Unauthorized: send the CRON_SECRET as "Authorization: Bearer <secret>".' },
        { status: 401, headers: { 'www-authenticate': 'Bearer', ...NO_STORE } },
      );
    }
    let result;
    try {
      result = await withAdvisoryLock(deps.db, LIFECYCLE_LOCK_KEY, deps.logger, () =>
        runBillingLifecycle({
          db: deps.db,
          clock: deps.clock,
          mailer: deps.mailer,
          logger: deps.logger,
          instanceActions: deps.instanceActions,
          settings,
          appUrl: deps.config.appUrl,
        }),
      );
    } catch (err) {
      deps.logger.error({ reason: errorMessage(err) }, 'cron: could not start the lifecycle run');
      return Response.json({ error: 'The database is unavailable; the run did not start. The next scheduled call retries.' }, { status: 503, headers: NO_STORE });
    }
    // a sweep whose statement failed is a 500 so an external scheduler alerts; per-user failures are counts
    const status = result.skipped || result.ok ? 200 : 500;
    return Response.json(result, { status, headers: NO_STORE });
  };
}
