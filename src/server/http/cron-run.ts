// The body of every /api/cron/* endpoint: authorize the scheduler, take the job's run lock (one run
// at a time across every replica), run it, answer its summary as JSON. One set of statuses for all
// jobs: 200 when the run was clean or skipped (another run holds the lock); 500 when a step's
// statement failed (the summary says which) so an external scheduler alerts; 503 with a generic
// message when the run could not start (database unavailable) — the detail goes to the log only.
import { withAdvisoryLock } from '@/billing/lifecycle/exclusive-run';
import { errorMessage } from '@/platform/error-message';
import type { AppDeps } from '../app-deps';
import { NO_STORE, refuseUnlessScheduler } from './cron-auth';

type CronJobRun = {
  /** the endpoint's path, for the log of a refused call */
  path: string;
  /** PostgreSQL advisory lock key of this job */
  lockKey: bigint;
  run: () => Promise<{ skipped: false; ok: boolean }>;
};

const RUN_DID_NOT_START = 'The database is unavailable; the run did not start. The next scheduled call retries.';

export function createCronHandler(deps: AppDeps, job: CronJobRun) {
  return async (req: Request): Promise<Response> => {
    const refused = refuseUnlessScheduler(req, deps, job.path);
    if (refused) return refused;
    let result: { skipped: false; ok: boolean } | { skipped: true };
    try {
      result = await withAdvisoryLock(deps.db, job.lockKey, deps.logger, job.run);
    } catch (err) {
      deps.logger.error({ path: job.path, reason: errorMessage(err) }, 'cron: the run did not start');
      return Response.json({ error: RUN_DID_NOT_START }, { status: 503, headers: NO_STORE });
    }
    const status = result.skipped || result.ok ? 200 : 500;
    return Response.json(result, { status, headers: NO_STORE });
  };
}
