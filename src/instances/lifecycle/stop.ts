// Stopping: the status changes first (which also cancels a start in progress: its finishing write
// no longer matches), then the machine is stopped. A failed machine stop is recorded and retried
// by the reconciler; the machine and volume are kept for the next start.

import { errorMessage } from '@/platform/error-message';
import { InstanceNotFound, InstanceUnavailable } from '../errors';
import {
  clearStopFailure,
  findById,
  findByUser,
  markStopped,
  patchWhile,
  STOP_FAILED_PREFIX,
  type StopReason,
} from '../instance-store';
import { type InstanceDeps, type InstanceView, lastErrorOf, viewOf } from './deps';

/** `reason`: 'suspension' when billing stops it (a reactivation resumes it), 'user' otherwise. */
export async function stopInstance(
  deps: InstanceDeps,
  userId: string,
  reason: StopReason = 'user',
): Promise<InstanceView> {
  const row = await findByUser(deps.db, userId);
  if (!row) throw InstanceNotFound();
  if (row.status === 'destroying' || row.status === 'provisioned') return viewOf(row);
  await markStopped(deps.db, row.id, deps.clock.now(), reason);
  const current = await findById(deps.db, row.id);
  // Stopping a stopped instance stops its machine again: that is how a failed stop is retried by hand.
  if (current?.status === 'stopped' && current.machineId) await stopMachine(deps, current.id, current.machineId, true);
  return viewOf(await findById(deps.db, row.id));
}

/** Stops the machine of a stopped instance; records (and with `raise`, reports) a failure. */
export async function stopMachine(
  deps: InstanceDeps,
  instanceId: string,
  machineId: string,
  raise: boolean,
): Promise<boolean> {
  try {
    await deps.provider.stopMachine(machineId);
    await clearStopFailure(deps.db, instanceId, deps.clock.now());
    return true;
  } catch (err) {
    deps.logger.warn({ instanceId, machineId, reason: errorMessage(err) }, 'machine stop failed; will retry');
    await patchWhile(
      deps.db,
      instanceId,
      'stopped',
      { lastError: `${STOP_FAILED_PREFIX}${lastErrorOf(err)}` },
      deps.clock.now(),
    );
    if (raise)
      throw InstanceUnavailable(
        'Your instance is marked stopped but its machine did not stop yet — it will be retried.',
        'stop_failed',
      );
    return false;
  }
}
