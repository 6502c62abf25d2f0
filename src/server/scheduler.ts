// The in-process scheduler of the embedded default: every few minutes it POSTs to the app's own cron
// endpoints with the bearer secret, exactly as an external scheduler would (so the endpoint's lock
// and auth are exercised the same way). Off when deployed behind an external scheduler (SCHEDULER=false).
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';
import { CRON_ROUTES } from './http/routes';

export type CronJob = { name: string; path: string };

/** Every cron endpoint the scheduler calls: the cron routes of the route table. */
export const CRON_JOBS: readonly CronJob[] = CRON_ROUTES.map((r) => ({ name: r.cron, path: r.path }));

/** A run that has not answered in 2 min is stuck; abort it and try again at the next tick. */
const CRON_REQUEST_TIMEOUT_MS = 2 * 60_000;
/** The first call waits for the server to settle after start. */
const CRON_FIRST_CALL_DELAY_MS = 15_000;

export type Scheduler = { stop: () => Promise<void> };

export function startScheduler(opts: {
  baseUrl: string;
  secret: string;
  logger: Logger;
  intervalMs: number;
  jobs?: readonly CronJob[];
  timeoutMs?: number;
  firstDelayMs?: number;
}): Scheduler {
  const jobs = opts.jobs ?? CRON_JOBS;
  const timeoutMs = opts.timeoutMs ?? CRON_REQUEST_TIMEOUT_MS;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();

  async function call(job: CronJob, controller: AbortController): Promise<void> {
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const started = performance.now();
    try {
      const res = await fetch(`${opts.baseUrl}${job.path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.secret}` },
        signal: controller.signal,
      });
      const body = (await res.json().catch(() => null)) as { skipped?: boolean } | null;
      const ms = Math.round(performance.now() - started);
      if (res.ok)
        opts.logger.info(
          { job: job.name, status: res.status, skipped: body?.skipped ?? false, ms },
          'scheduler: job done',
        );
      else opts.logger.warn({ job: job.name, status: res.status, ms }, 'scheduler: job answered with an error');
    } catch (err) {
      if (!stopped) {
        const reason = controller.signal.aborted
          ? String(controller.signal.reason?.message ?? 'aborted')
          : errorMessage(err);
        opts.logger.warn({ job: job.name, reason }, 'scheduler: job call failed');
      }
    } finally {
      clearTimeout(timer);
    }
  }

  // setTimeout after completion (not setInterval): a slow run delays the next one instead of overlapping it
  function schedule(job: CronJob, delayMs: number): void {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      const controller = new AbortController();
      const done = call(job, controller).finally(() => {
        inFlight.delete(job.name);
        schedule(job, opts.intervalMs);
      });
      inFlight.set(job.name, { controller, done });
    }, delayMs);
    t.unref();
    timers.add(t);
  }

  for (const job of jobs) schedule(job, opts.firstDelayMs ?? CRON_FIRST_CALL_DELAY_MS);
  opts.logger.info({ jobs: jobs.map((j) => j.name), everyS: Math.round(opts.intervalMs / 1000) }, 'scheduler: started');

  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Abandon a call in progress: the server side finishes its run regardless (claims and conditional
      // updates keep a cut-short run safe), and shutdown must not wait minutes for it.
      for (const f of inFlight.values()) f.controller.abort(new Error('scheduler stopped'));
      await Promise.all([...inFlight.values()].map((f) => f.done));
    },
  };
}
