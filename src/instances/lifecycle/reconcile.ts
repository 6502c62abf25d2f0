// The reconciler (cron or in-process scheduler) brings rows and machines back in step:
//  - `starting` for longer than STARTING_TIMEOUT_MS → `stopped` (one set-based UPDATE, so it
//    happens even while the provider keeps erroring);
//  - a younger `starting` whose machine and gateway are up → `running` (its start call gave up waiting);
//  - `running` whose machine is gone or stopped → `stopped`;
//  - pending destroys and failed machine stops are retried;
//  - a running or starting instance of a suspended user is stopped (the cron's stop failed or a
//    late resume undid it: suspension is level-triggered here, not only an event);
//  - an instance billing stopped whose user has paid again is started (the webhook's resume failed);
//  - a running machine whose controller token was made with a rotated CONTROLLER_SECRET gets the
//    current one (its config is updated, which restarts it).
// Every write is conditional on the state it read, so two reconcilers (or a user) can overlap safely.
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
import { STARTING_TIMEOUT_MS } from '../transitions';
import { carriesOldKey, controllerTarget, errorText, type LifecycleDeps, machineSpec } from './deps';
import { attemptDestroy } from './destroy';
import { gatewayRunning } from './readiness';
import { startInstance } from './start';
import { stopInstance, stopMachine } from './stop';

const BATCH = 100; // rows per category per run; the next run takes the rest

export type ReconcileReport = {
  startsTimedOut: number;
  startsFinished: number;
  runningLost: number;
  destroysCompleted: number;
  destroysPending: number;
  stopsRetried: number;
  suspendedStopped: number;
  reactivatedResumed: number;
  controllerTokensPushed: number;
  providerErrors: number;
};

export async function reconcileInstances(deps: LifecycleDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    startsTimedOut: 0,
    startsFinished: 0,
    runningLost: 0,
    destroysCompleted: 0,
    destroysPending: 0,
    stopsRetried: 0,
    suspendedStopped: 0,
    reactivatedResumed: 0,
    controllerTokensPushed: 0,
    providerErrors: 0,
  };
  const now = deps.clock.now();
  const guarded = async (row: InstanceRow, what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      report.providerErrors += 1;
      deps.logger.warn({ instanceId: row.id, what, err: errorText(err) }, 'reconcile step failed; next run retries');
    }
  };

  const expired = await expireStaleStarts(
    deps.db,
    new Date(now.getTime() - STARTING_TIMEOUT_MS),
    now,
    `did not start within ${STARTING_TIMEOUT_MS / 60_000} minutes`,
  );
  report.startsTimedOut = expired.length;
  for (const row of expired) {
    // best effort: a machine that comes up later must not run unbilled and unwatched
    if (row.machineId) await stopMachine(deps, row.id, row.machineId, false);
  }

  for (const row of await listByStatus(deps.db, 'starting', BATCH)) {
    await guarded(row, 'finish start', async () => {
      if (!row.machineId || !row.startingAt) return;
      const machine = await deps.provider.getMachine(row.machineId);
      if (machine?.state !== 'started') return;
      const target = controllerTarget(deps, machine.controllerUrl, row.id);
      if (
        (await gatewayRunning(target)) &&
        (await markRunning(deps.db, row.id, row.startingAt, machine.controllerUrl, deps.clock.now()))
      ) {
        report.startsFinished += 1;
      }
    });
  }

  for (const row of await listByStatus(deps.db, 'running', BATCH)) {
    await guarded(row, 'check running', async () => {
      const machine = row.machineId ? await deps.provider.getMachine(row.machineId) : null;
      if (machine && !['stopped', 'failed', 'suspended'].includes(machine.state)) {
        const volumeId = machine.volumeId ?? row.volumeId;
        if (carriesOldKey(deps, machine) && volumeId) {
          await deps.provider.updateMachine(machine.id, machineSpec(deps, row, volumeId));
          deps.logger.info({ instanceId: row.id, machineId: machine.id }, 'pushed the current controller token');
          report.controllerTokensPushed += 1;
        }
        return;
      }
      if (await markStopped(deps.db, row.id, deps.clock.now())) {
        report.runningLost += 1;
        const reason = machine ? `machine ${machine.state}` : 'machine is gone';
        await patchWhile(
          deps.db,
          row.id,
          'stopped',
          { lastError: reason, ...(machine ? {} : { machineId: null }) },
          deps.clock.now(),
        );
      }
    });
  }

  for (const row of await listByStatus(deps.db, 'destroying', BATCH)) {
    if (await attemptDestroy(deps, row.id)) report.destroysCompleted += 1;
    else report.destroysPending += 1;
  }

  for (const row of await listFailedStops(deps.db, BATCH)) {
    if (row.machineId && (await stopMachine(deps, row.id, row.machineId, false))) report.stopsRetried += 1;
  }

  for (const row of await listRunningWhileSuspended(deps.db, BATCH)) {
    await guarded(row, 'stop for suspension', async () => {
      await stopInstance(deps, row.userId, 'suspension');
      report.suspendedStopped += 1;
    });
  }

  for (const row of await listSuspensionStopsToResume(deps.db, BATCH)) {
    await guarded(row, 'resume after reactivation', async () => {
      // claim and launch only; the 'starting' pass of the next run marks it running
      await startInstance({ ...deps, startWaitMs: 0 }, row.userId);
      report.reactivatedResumed += 1;
    });
  }
  return report;
}
