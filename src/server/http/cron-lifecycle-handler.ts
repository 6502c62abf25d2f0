// POST /api/cron/billing-lifecycle — called by the scheduler with `Authorization: Bearer CRON_SECRET`.
// Thin: the billing lifecycle run under the cron gate and run lock (cron-run.ts).
import { LIFECYCLE_LOCK_KEY, lifecycleSettingsFrom } from '@/billing/lifecycle/constants';
import { runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import type { AppDeps } from '../app-deps';
import { createCronHandler } from './cron-run';
import { pathOf } from './routes';

export function createCronLifecycleHandler(deps: AppDeps) {
  const settings = lifecycleSettingsFrom(deps.config);
  return createCronHandler(deps, {
    path: pathOf('cronBillingLifecycle'),
    lockKey: LIFECYCLE_LOCK_KEY,
    run: () =>
      runBillingLifecycle({
        db: deps.db,
        clock: deps.clock,
        mailer: deps.mailer,
        logger: deps.logger,
        instanceActions: deps.instanceActions,
        settings,
        appUrl: deps.config.appUrl,
      }),
  });
}
