// POST /api/cron/reconcile-instances — called by the scheduler with `Authorization: Bearer CRON_SECRET`.
// Thin: authorize, run one reconcile pass, return its report. Every write in the pass is
// conditional on the state it read, so overlapping runs are safe without a lock.
import type { AppDeps } from '../app-deps';
import { bearerMatches } from './cron-lifecycle-handler';

const NO_STORE = { 'cache-control': 'no-store' };
export const RECONCILE_PATH = '/api/cron/reconcile-instances';

export function createCronReconcileHandler(deps: AppDeps) {
  return async (req: Request): Promise<Response> => {
    if (req.method !== 'POST') {
      return Response.json({ error: 'Use POST.' }, { status: 405, headers: { allow: 'POST', ...NO_STORE } });
    }
    const secret = deps.config.CRON_SECRET;
    if (!secret) {
      return Response.json({ error: 'The cron endpoint is disabled: set CRON_SECRET to enable it.' }, { status: 503, headers: NO_STORE });
    }
    if (!bearerMatches(req.headers.get('authorization'), secret)) {
      deps.logger.warn({ path: RECONCILE_PATH }, 'cron: rejected a call without the right bearer secret');
      return Response.json(
        { error: 'Unauthorized: send the CRON_SECRET as "Authorization: Bearer <secret>".' },
        { status: 401, headers: { 'www-authenticate': 'Bearer', ...NO_STORE } },
      );
    }
    try {
      const report = await deps.instances.reconcile();
      deps.logger.info({ report }, 'instances reconciled');
      return Response.json({ ok: true, ...report }, { headers: NO_STORE });
    } catch (err) {
      // a database failure: 500 so an external scheduler alerts (provider failures are counted in the report)
      deps.logger.error({ err }, 'reconcile failed');
      return Response.json({ ok: false, error: 'reconcile failed; see the log' }, { status: 500, headers: NO_STORE });
    }
  };
}
