// Destroying, in two phases: the machine(s), then the volume; the row goes when both are gone.
// `destroying` is written first and wins over everything (a start that finishes later cannot write),
// and an attempt that fails part-way is retried by the reconciler until both are gone.

import { errorMessage } from '@/platform/error-message';
import { clearDestroyed, deleteIfDestroyed, findById, findByUser, markDestroying, patchWhile } from '../instance-store';
import { METADATA_INSTANCE_ID, METADATA_USER_ID } from '../providers/provider';
import { type InstanceDeps, type InstanceView, lastErrorOf, viewOf } from './deps';

export async function destroyInstance(deps: InstanceDeps, userId: string): Promise<InstanceView> {
  const row = await findByUser(deps.db, userId);
  if (!row) return viewOf(null);
  await markDestroying(deps.db, row.id, deps.clock.now());
  await attemptDestroy(deps, row.id);
  return viewOf(await findById(deps.db, row.id));
}

/** One pass of the two phases. True when the instance is gone. Never throws: failures stay on the row. */
export async function attemptDestroy(deps: InstanceDeps, instanceId: string): Promise<boolean> {
  const log = deps.logger.child({ instanceId });
  const row = await findById(deps.db, instanceId);
  if (!row) return true;
  if (row.status !== 'destroying') return false;
  const fail = async (phase: string, err: unknown) => {
    log.warn({ phase, reason: errorMessage(err) }, 'destroy incomplete; will retry');
    await patchWhile(
      deps.db,
      row.id,
      'destroying',
      { lastError: `destroy (${phase}) failed: ${lastErrorOf(err)}` },
      deps.clock.now(),
    );
    return false;
  };

  // Phase 1: every machine of this instance — the recorded one and any a racing start created.
  try {
    const listed = await deps.provider.listMachinesByMetadata(METADATA_USER_ID, row.userId);
    const ids = new Set(
      listed.filter((m) => m.metadata[METADATA_INSTANCE_ID] === row.id || m.name === row.machineName).map((m) => m.id),
    );
    if (row.machineId) ids.add(row.machineId);
    for (const id of ids) await deps.provider.destroyMachine(id);
    if (row.machineId) await clearDestroyed(deps.db, row.id, 'machineId', row.machineId, deps.clock.now());
  } catch (err) {
    return fail('machine', err);
  }

  // Phase 2: the volume (the provider refuses while a machine still holds it; the next pass retries).
  try {
    if (row.volumeId) {
      await deps.provider.deleteVolume(row.volumeId);
      await clearDestroyed(deps.db, row.id, 'volumeId', row.volumeId, deps.clock.now());
    }
  } catch (err) {
    return fail('volume', err);
  }

  const gone = await deleteIfDestroyed(deps.db, row.id);
  if (gone) log.info('instance destroyed');
  return gone;
}
