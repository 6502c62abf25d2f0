// POST /api/cron/billing-lifecycle — called by the scheduler with `Authorization: Bearer CRON_SECRET`.
// Thin: authorize, take the run lock, run the lifecycle, return its summary as JSON.

import { LIFECYCLE_LOCK_KEY, lifecycleSettingsFrom } from '@/billing/lifecycle/constants';
import { type Skipped, withAdvisoryLock } from '@/billing/lifecycle/exclusive-run';
import { type LifecycleSummary, runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import { errorMessage } from '@/platform/error-message';
import type { AppDeps } from '../app-deps';
import { NO_STORE, refuseUnlessScheduler } from './cron-auth';

export function createCronLifecycleHandler(deps: AppDeps) {
  const settings = lifecycleSettingsFrom(deps.config);
  return async (req: Request): Promise<Response> => {
    const refused = refuseUnlessScheduler(req, deps, '/api/cron/billing-lifecycle');
    if (refused) return refused;
    let result: LifecycleSummary | Skipped;
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
      return Response.json(
        { error: 'The database is unavailable; the run did not start. The next scheduled call retries.' },
        { status: 503, headers: NO_STORE },
      );
    }
    // a sweep whose statement failed is a 500 so an external scheduler alerts; per-user failures are counts
    const status = result.skipped || result.ok ? 200 : 500;
    return Response.json(result, { status, headers: NO_STORE });
  };
}
