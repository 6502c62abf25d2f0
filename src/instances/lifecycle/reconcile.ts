// The reconciler (cron or in-process scheduler) brings rows and machines back in step, one pass per
// rule, in order (the same shape as the billing lifecycle's table of sweeps):
//  - start_timeout: `starting` for longer than STARTING_TIMEOUT_MS → `stopped` (one set-based UPDATE,
//    so it happens even while the provider keeps erroring);
//  - start_finish: a younger `starting` whose machine and gateway are up → `running` (its start call
//    gave up waiting);
//  - running_check: `running` whose machine is gone or stopped → `stopped`; every running row is
//    compared with ONE paged listing of the fleet (a provider call per page, not per machine), and
//    only a row that disagrees costs a call of its own (a confirming get: an empty or partial list
//    is not proof that a machine is gone);
//  - stray_stop: a started machine whose instance is neither starting nor running (a start that
//    lost its claim to a stop, a suspension or a destroy) is stopped, so no machine runs untracked;
//  - channels_repair: a running machine gets the instance's chat channels again when it lost them
//    (replaced, volume restored); its controller skips what is already in place;
//  - destroy_retry, stop_retry: pending destroys and failed machine stops are retried;
//  - suspended_stop: a running or starting instance of a suspended user is stopped (the cron's stop
//    failed or a late resume undid it: suspension is level-triggered here, not only an event);
//  - reactivated_resume: an instance billing stopped whose user pays again is started (the webhook's
//    resume failed);
//  - controller_key: a started machine of a running instance whose controller token was made with a
//    rotated CONTROLLER_SECRET (its metadata's key id) gets the current one — its config is updated,
//    which restarts it (README: Rotating CONTROLLER_SECRET). Read from the same fleet listing: no
//    provider call unless a machine needs the update.
// Every write is conditional on the state it read; the cron endpoint also runs one reconcile at a
// time (advisory lock), so a provider action is not made twice by overlapping runs.
import { errorMessage } from '@/platform/error-message';
import {
  expireStaleStarts,
  listByStatus,
  listFailedStops,
  listRunningWhileSuspended,
  listSuspensionStopsToResume,
  markRunning,
  markStopped,
  pageByStatus,
  patchWhile,
  statusesOf,
} from '../instance-store';
import { checkControllerVersion } from '../pairing/controller-version';
import { isRateLimited, type Machine, METADATA_INSTANCE_ID, METADATA_USER_ID } from '../providers/provider';
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

const RUNNING_PAGE = 1_000; // running rows compared with the fleet per statement
// Get Machine calls one run may spend confirming rows the listing disagrees with. A flapping list
// (Fly once answered empty lists) would otherwise cost one call per instance; the rest waits a run.
const MAX_CONFIRMATIONS_PER_RUN = 200;
// A machine whose row changed status this recently may belong to a start or stop in flight: the
// stray pass leaves it to the next run rather than race the action that is making it right.
const STRAY_GRACE_MS = 2 * 60_000;
const LIVE_MACHINE_STATES = new Set(['created', 'starting', 'started']);

type PassError = { instanceId?: string; step: string; message: string };
type PassReport = { actioned: number; errors: PassError[] };

/** What passes of one run share: the fleet, listed once (lazily) for all of them. */
type RunContext = { fleet: () => Promise<Map<string, Machine>> };
type Pass = (deps: InstanceDeps, now: Date, run: RunContext) => Promise<PassReport>;

const RATE_LIMITED = 'the provider is rate limiting us; the next run goes on from here';

/**
 * Runs `fn` for each row; a row whose step throws (a provider error) is reported and the next row
 * goes on — except past the provider's rate limit, where the pass stops (backs off) and the next
 * run finishes it.
 */
async function eachRow<R extends { id: string }>(
  deps: InstanceDeps,
  rows: R[],
  step: string,
  fn: (row: R) => Promise<boolean>,
): Promise<PassReport> {
  const report: PassReport = { actioned: 0, errors: [] };
  for (const row of rows) {
    try {
      if (await fn(row)) report.actioned += 1;
    } catch (err) {
      const message = isRateLimited(err) ? RATE_LIMITED : errorMessage(err);
      report.errors.push({ instanceId: row.id, step, message });
      deps.logger.warn({ instanceId: row.id, step, reason: message }, 'reconcile step failed; next run retries');
      if (isRateLimited(err)) break;
    }
  }
  return report;
}

/** The fleet of this run, or a report saying why it could not be listed (rate limited: not a failure). */
async function fleetOf(run: RunContext, step: string): Promise<Map<string, Machine> | PassReport> {
  try {
    return await run.fleet();
  } catch (err) {
    if (!isRateLimited(err)) throw err;
    return { actioned: 0, errors: [{ step, message: RATE_LIMITED }] };
  }
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

const startFinishPass: Pass = async (deps, _now, run) => {
  const rows = await listByStatus(deps.db, 'starting', BATCH);
  if (rows.length === 0) return { actioned: 0, errors: [] };
  const fleet = await fleetOf(run, 'list machines');
  if (!(fleet instanceof Map)) return fleet;
  return eachRow(deps, rows, 'finish start', async (row) => {
    if (!row.machineId || !row.startingAt) return false;
    const machine = fleet.get(row.machineId);
    if (machine?.state !== 'started') return false;
    const target = controllerTarget(deps, machine.controllerUrl, row.id);
    const finished =
      (await gatewayRunning(target)) &&
      (await markRunning(deps.db, row.id, row.startingAt, machine.controllerUrl, deps.clock.now()));
    if (finished) await checkControllerVersion(deps, target); // records it; logs a mismatch or a failed probe
    return finished;
  });
};

const DOWN_STATES = new Set(['stopped', 'failed', 'suspended']);
const looksDown = (machine: Machine | null | undefined) => !machine || DOWN_STATES.has(machine.state);

const runningCheckPass: Pass = async (deps, _now, run) => {
  const report: PassReport = { actioned: 0, errors: [] };
  let fleet: Map<string, Machine> | null = null;
  let confirmationsLeft = MAX_CONFIRMATIONS_PER_RUN;
  let deferred = 0;
  for (let afterId: string | null = null; ; ) {
    const rows = await pageByStatus(deps.db, 'running', afterId, RUNNING_PAGE);
    if (rows.length === 0) break;
    afterId = rows.at(-1)?.id ?? null;
    if (!fleet) {
      const listed = await fleetOf(run, 'list machines');
      if (!(listed instanceof Map)) return listed;
      fleet = listed;
    }
    const known = fleet;
    // only the rows the listing disagrees with cost a provider call (the confirming get)
    const disagreeing = rows.filter((row) => looksDown(row.machineId ? known.get(row.machineId) : null));
    const suspects = disagreeing.slice(0, confirmationsLeft);
    deferred += disagreeing.length - suspects.length;
    confirmationsLeft -= suspects.length;
    const r = await eachRow(deps, suspects, 'check running', async (row) => {
      const machine = row.machineId ? await deps.provider.getMachine(row.machineId) : null;
      if (!looksDown(machine)) return false; // the listing was behind; the machine is fine
      if (!(await markStopped(deps.db, row.id, deps.clock.now()))) return false;
      const reason = machine ? `machine ${machine.state}` : 'machine is gone';
      const patch = { lastError: reason, ...(machine ? {} : { machineId: null }) };
      await patchWhile(deps.db, row.id, 'stopped', patch, deps.clock.now());
      return true;
    });
    report.actioned += r.actioned;
    report.errors.push(...r.errors);
    if (r.errors.some((e) => e.message === RATE_LIMITED) || rows.length < RUNNING_PAGE) break;
  }
  if (deferred > 0) {
    deps.logger.warn(
      { deferred },
      'reconcile: more running instances disagree with the machine list than one run checks',
    );
    report.errors.push({
      step: 'check running',
      message: `${deferred} running instances disagree with the machine listing; the next run checks them`,
    });
  }
  return report;
};

/** Started machines whose instance is not starting or running: a start that lost its claim left them. */
const strayStopPass: Pass = async (deps, now, run) => {
  const fleet = await fleetOf(run, 'list machines');
  if (!(fleet instanceof Map)) return fleet;
  const live = [...fleet.values()].filter((m) => LIVE_MACHINE_STATES.has(m.state) && m.metadata[METADATA_INSTANCE_ID]);
  const report: PassReport = { actioned: 0, errors: [] };
  for (let i = 0; i < live.length; i += RUNNING_PAGE) {
    const chunk = live.slice(i, i + RUNNING_PAGE);
    const rows = await statusesOf(
      deps.db,
      chunk.map((m) => m.metadata[METADATA_INSTANCE_ID] as string),
    );
    const strays = chunk.filter((m) => {
      const row = rows.get(m.metadata[METADATA_INSTANCE_ID] as string);
      if (!row) return true; // its instance is gone: nothing bills or watches it
      if (row.status === 'starting' || row.status === 'running' || row.status === 'destroying') return false;
      return now.getTime() - row.statusChangedAt.getTime() > STRAY_GRACE_MS;
    });
    const r = await eachRow(deps, strays, 'stop stray machine', async (machine) => {
      deps.logger.warn(
        { machineId: machine.id, instanceId: machine.metadata[METADATA_INSTANCE_ID] },
        'stopping a machine no instance is running on',
      );
      await deps.provider.stopMachine(machine.id);
      return true;
    });
    report.actioned += r.actioned;
    report.errors.push(...r.errors);
  }
  return report;
};

const channelsRepairPass: Pass = async (deps) => {
  const apply = deps.applyChannels;
  if (!apply) return { actioned: 0, errors: [] };
  return eachRow(deps, await listByStatus(deps.db, 'running', BATCH), 'repair channels', async (row) =>
    row.controllerUrl
      ? apply(row.id, { baseUrl: row.controllerUrl, secret: deps.controllerSecret, instanceId: row.id })
      : false,
  );
};

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

const controllerKeyPass: Pass = async (deps, _now, run) => {
  const fleet = await fleetOf(run, 'list machines');
  if (!(fleet instanceof Map)) return fleet;
  const outdated = [...fleet.values()]
    .filter((m) => m.state === 'started' && m.metadata[METADATA_INSTANCE_ID] && m.volumeId && carriesOldKey(deps, m))
    .slice(0, BATCH);
  if (outdated.length === 0) return { actioned: 0, errors: [] };
  const rows = await statusesOf(
    deps.db,
    outdated.map((m) => m.metadata[METADATA_INSTANCE_ID] as string),
  );
  return eachRow(deps, outdated, 'push controller token', async (machine) => {
    const instanceId = machine.metadata[METADATA_INSTANCE_ID] as string;
    const userId = machine.metadata[METADATA_USER_ID];
    // a start pushes the token itself; a machine of no running instance is the stray pass's business
    if (rows.get(instanceId)?.status !== 'running' || !userId || !machine.volumeId) return false;
    await deps.provider.updateMachine(machine.id, machineSpec(deps, { id: instanceId, userId }, machine.volumeId));
    deps.logger.info({ instanceId, machineId: machine.id }, 'pushed the current controller token');
    return true;
  });
};

const PASSES = [
  ['start_timeout', startTimeoutPass],
  ['start_finish', startFinishPass],
  ['running_check', runningCheckPass],
  ['stray_stop', strayStopPass],
  ['channels_repair', channelsRepairPass],
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
  let fleet: Promise<Map<string, Machine>> | null = null;
  const run: RunContext = {
    fleet: () => {
      if (!fleet) {
        const listing = deps.provider.listMachines().then((list) => new Map(list.map((m) => [m.id, m])));
        // a failed listing is not cached: the next pass that needs it asks again
        listing.catch(() => {
          if (fleet === listing) fleet = null;
        });
        fleet = listing;
      }
      return fleet;
    },
  };
  const passes = {} as ReconcileSummary['passes'];
  const errors: ReconcileError[] = [];
  let errorCount = 0;
  let ok = true;

  for (const [name, pass] of PASSES) {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    try {
      const r = await pass(deps, now, run);
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
