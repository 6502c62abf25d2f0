// POST /api/cron/reconcile-instances — called by the scheduler with `Authorization: Bearer CRON_SECRET`.
// Thin: authorize, run one reconcile pass, return its report. Every write in the pass is
// conditional on the state it read, so overlapping runs are safe without a lock.
import type { AppDeps } from '../app-deps';
import { NO_STORE, refuseUnlessScheduler } from './cron-auth';
export const RECONCILE_PATH = '/api/cron/reconcile-instances';

export function createCronReconcileHandler(deps: AppDeps) {
  return async (req: Request): Promise<Response> => {
    const refused = refuseUnlessScheduler(req, deps, RECONCILE_PATH);
    if (refused) return refused;
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
