// POST /api/cron/reconcile-instances — called by the scheduler with `Authorization: Bearer CRON_SECRET`.
// Thin: one reconcile run under the cron gate and run lock (cron-run.ts). The lock keeps two runs
// from making the same provider call twice (every write is conditional anyway).
import { RECONCILE_LOCK_KEY } from '@/instances/lifecycle/reconcile';
import type { AppDeps } from '../app-deps';
import { createCronHandler } from './cron-run';
import { pathOf } from './routes';

export function createCronReconcileHandler(deps: AppDeps) {
  return createCronHandler(deps, {
    path: pathOf('cronReconcileInstances'),
    lockKey: RECONCILE_LOCK_KEY,
    run: () => deps.instances.reconcile(),
  });
}
