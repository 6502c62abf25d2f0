// The reconciler (cron or in-process scheduler) brings rows and machines back in step, one pass per
// rule, in order (the same shape as the billing lifecycle's table of sweeps):
//  - start_timeout: `starting` for longer than STARTING_TIMEOUT_MS → `stopped` (one set-based UPDATE,
//    so it happens even while the provider keeps erroring);
//  - start_finish: a younger `starting` whose machine and gateway are up → `running` (its start call
//    gave up waiting);
//  - running_check: `running` whose machine is gone or stopped → `stopped`;
//  - destroy_retry, stop_retry: pending destroys and failed machine stops are retried;
//  - suspended_stop: a running or starting instance of a suspended user is stopped (the cron's stop
//    failed or a late resume undid it: suspension is level-triggered here, not only an event);
//  - reactivated_resume: an instance billing stopped whose user pays again is started (the webhook's
//    resume failed);
//  - controller_key: a running machine whose controller token was made with a rotated CONTROLLER_SECRET
//    gets the current one (its config is updated, which restarts it; README: Rotating CONTROLLER_SECRET).
// Every write is conditional on the state it read; the cron endpoint also runs one reconcile at a
// time (advisory lock), so a provider action is not made twice by overlapping runs.
import { errorMessage } from '@/platform/error-message';
import {
  expireStaleStarts,
  type InstanceRow,
  listByStatus,
  listFailedStops,
  listRunningWhileSuspended,
  listSuspensionStopsToResume,
  markRunning,
  markStopped,
  patchWhile,
} from '../instance-store';
import { carriesOldKey, controllerTarget, type InstanceDeps, machineSpec } from './deps';
import { attemptDestroy } from './destroy';
import { gatewayRunning } from './readiness';
import { startInstance } from './start';
import { stopInstance, stopMachine } from './stop';

/** Advisory lock key of a reconcile run ("kcrecn"); the billing lifecycle has its own. */
export const RECONCILE_LOCK_KEY = 0x6b637265636en;

const BATCH = 100; // rows per pass per run; the next run takes the rest

/** Errors listed in a summary; beyond this only the count grows. */
const MAX_LISTED_ERRORS = 50;

type PassError = { instanceId: string; step: string; message: string };
type PassReport = { actioned: number; errors: PassError[] };
type Pass = (deps: InstanceDeps, now: Date) => Promise<PassReport>;

/** Runs `fn` for each row; a row whose step throws (a provider error) is reported and the next row goes on. */
async function eachRow(
  deps: InstanceDeps,
  rows: InstanceRow[],
  step: string,
  fn: (row: InstanceRow) => Promise<boolean>,
): Promise<PassReport> {
  const report: PassReport = { actioned: 0, errors: [] };
  for (const row of rows) {
    try {
      if (await fn(row)) report.actioned += 1;
    } catch (err) {
      const message = errorMessage(err);
      report.errors.push({ instanceId: row.id, step, message });
      deps.logger.warn({ instanceId: row.id, step, reason: message }, 'reconcile step failed; next run retries');
    }
  }
  return report;
}

const startTimeoutPass: Pass = async (deps, now) => {
  const expired = await expireStaleStarts(deps.db, now);
  const report: PassReport = { actioned: expired.length, errors: [] };
  for (const row of expired) {
    // best effort: a machine that comes up later must not run unbilled and unwatched
    if (row.machineId && !(await stopMachine(deps, row.id, row.machineId, false)))
      report.errors.push({
        instanceId: row.id,
        step: 'stop machine',
        message: 'machine stop failed; the next run retries',
      });
  }
  return report;
};

const startFinishPass: Pass = async (deps) =>
  eachRow(deps, await listByStatus(deps.db, 'starting', BATCH), 'finish start', async (row) => {
    if (!row.machineId || !row.startingAt) return false;
    const machine = await deps.provider.getMachine(row.machineId);
    if (machine?.state !== 'started') return false;
    const target = controllerTarget(deps, machine.controllerUrl, row.id);
    return (
      (await gatewayRunning(target)) &&
      (await markRunning(deps.db, row.id, row.startingAt, machine.controllerUrl, deps.clock.now()))
    );
  });

const runningCheckPass: Pass = async (deps) =>
  eachRow(deps, await listByStatus(deps.db, 'running', BATCH), 'check running', async (row) => {
    const machine = row.machineId ? await deps.provider.getMachine(row.machineId) : null;
    if (machine && !['stopped', 'failed', 'suspended'].includes(machine.state)) return false;
    if (!(await markStopped(deps.db, row.id, deps.clock.now()))) return false;
    const reason = machine ? `machine ${machine.state}` : 'machine is gone';
    const patch = { lastError: reason, ...(machine ? {} : { machineId: null }) };
    await patchWhile(deps.db, row.id, 'stopped', patch, deps.clock.now());
    return true;
  });

const destroyRetryPass: Pass = async (deps) =>
  eachRow(deps, await listByStatus(deps.db, 'destroying', BATCH), 'destroy', async (row) => {
    // attemptDestroy records its failure on the row and never throws
    if (await attemptDestroy(deps, row.id)) return true;
    throw new Error('destroy incomplete (see the instance lastError)');
  });

const stopRetryPass: Pass = async (deps) =>
  eachRow(deps, await listFailedStops(deps.db, BATCH), 'stop machine', async (row) => {
    if (row.machineId && (await stopMachine(deps, row.id, row.machineId, false))) return true;
    throw new Error('machine stop failed again');
  });

const suspendedStopPass: Pass = async (deps) =>
  eachRow(deps, await listRunningWhileSuspended(deps.db, BATCH), 'stop for suspension', async (row) => {
    await stopInstance(deps, row.userId, 'suspension');
    return true;
  });

const reactivatedResumePass: Pass = async (deps) =>
  eachRow(deps, await listSuspensionStopsToResume(deps.db, BATCH), 'resume after reactivation', async (row) => {
    // claim and launch only; the start_finish pass of the next run marks it running
    await startInstance({ ...deps, startWaitMs: 0 }, row.userId);
    return true;
  });

const controllerKeyPass: Pass = async (deps) =>
  eachRow(deps, await listByStatus(deps.db, 'running', BATCH), 'push controller token', async (row) => {
    const machine = row.machineId ? await deps.provider.getMachine(row.machineId) : null;
    const volumeId = machine?.volumeId ?? row.volumeId;
    if (!machine || !volumeId || !['started', 'starting'].includes(machine.state) || !carriesOldKey(deps, machine))
      return false;
    await deps.provider.updateMachine(machine.id, machineSpec(deps, row, volumeId));
    deps.logger.info({ instanceId: row.id, machineId: machine.id }, 'pushed the current controller token');
    return true;
  });

const PASSES = [
  ['start_timeout', startTimeoutPass],
  ['start_finish', startFinishPass],
  ['running_check', runningCheckPass],
  ['destroy_retry', destroyRetryPass],
  ['stop_retry', stopRetryPass],
  ['suspended_stop', suspendedStopPass],
  ['reactivated_resume', reactivatedResumePass],
  ['controller_key', controllerKeyPass],
] as const satisfies ReadonlyArray<readonly [string, Pass]>;

type PassName = (typeof PASSES)[number][0];

type ReconcileError = { pass: PassName; instanceId?: string; step: string; message: string };

export type ReconcileSummary = {
  skipped: false;
  ok: boolean;
  startedAt: string;
  durationMs: number;
  passes: Record<PassName, { actioned: number; errors: number; ms: number; failed?: string }>;
  errorCount: number;
  errors: ReconcileError[];
};

/** One run: every pass in order. A pass whose statement fails is reported and the next pass still runs. */
export async function reconcileInstances(deps: InstanceDeps): Promise<ReconcileSummary> {
  const started = performance.now();
  const now = deps.clock.now();
  const passes = {} as ReconcileSummary['passes'];
  const errors: ReconcileError[] = [];
  let errorCount = 0;
  let ok = true;

  for (const [name, pass] of PASSES) {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    try {
      const r = await pass(deps, now);
      passes[name] = { actioned: r.actioned, errors: r.errors.length, ms: ms() };
      errorCount += r.errors.length;
      for (const e of r.errors) if (errors.length < MAX_LISTED_ERRORS) errors.push({ pass: name, ...e });
    } catch (err) {
      // a statement failed (database down, lock timeout): this pass stops, the others still run
      ok = false;
      errorCount++;
      const message = errorMessage(err);
      passes[name] = { actioned: 0, errors: 1, ms: ms(), failed: message };
      if (errors.length < MAX_LISTED_ERRORS) errors.push({ pass: name, step: 'pass', message });
      deps.logger.error({ pass: name, reason: message }, 'reconcile: pass failed');
    }
  }
  const summary: ReconcileSummary = {
    skipped: false,
    ok,
    startedAt: now.toISOString(),
    durationMs: Math.round(performance.now() - started),
    passes,
    errorCount,
    errors,
  };
  deps.logger.info({ passes, errorCount, durationMs: summary.durationMs }, 'reconcile: run finished');
  return summary;
}
