// Starting an instance (docs/architecture.md §7.1). The compare-and-set `→ starting` is the lock: of two
// replicas starting the same instance only one gets past it, so only one machine is created.
// Everything the start creates is written down before it waits, so a destroy can always find it.

import { errorMessage } from '@/platform/error-message';
import type { ControllerTarget } from '../controller-client';
import {
  InstanceBusy,
  InstanceDestroying,
  InstanceError,
  InstanceUnavailable,
  MachineOnAnotherVolume,
} from '../errors';
import {
  claimStart,
  findById,
  findByUser,
  type InstanceRow,
  markRunning,
  provision,
  recordResources,
  releaseFailedStart,
} from '../instance-store';
import { checkControllerVersion } from '../pairing/controller-version';
import { type Machine, MachineNameTaken, METADATA_INSTANCE_ID, METADATA_USER_ID } from '../providers/provider';
import { startRefusal } from '../transitions';
import {
  carriesOldKey,
  controllerTarget,
  type InstanceDeps,
  type InstanceView,
  lastErrorOf,
  machineSpec,
  viewOf,
  volumeNameFor,
} from './deps';
import { waitForGateway } from './readiness';

/** Lost our claim to a stop, a timeout or a destroy: someone else now decides. */
class ClaimLost extends Error {}

export async function startInstance(deps: InstanceDeps, userId: string): Promise<InstanceView> {
  const now = deps.clock.now();
  const row = (await findByUser(deps.db, userId)) ?? (await provision(deps.db, userId, deps.provider.kind, now));
  const claimed = await claimStart(deps.db, row.id, now);
  if (!claimed) {
    const current = await findById(deps.db, row.id);
    const refusal = current ? startRefusal(current.status) : 'destroying';
    if (refusal === 'already_running') return viewOf(current);
    if (refusal === 'already_starting') throw InstanceBusy('already starting');
    throw InstanceDestroying();
  }
  const fence = claimed.startingAt;
  if (!fence) throw new Error('claimStart returned an instance without startingAt');
  const log = deps.logger.child({ instanceId: claimed.id, userId });
  const deadline = Date.now() + deps.startWaitMs;
  try {
    const machine = await bringUp(deps, claimed, fence, log);
    const target = controllerTarget(deps, machine.controllerUrl, claimed.id);
    const ready = deps.startWaitMs > 0 && (await waitUntilReady(deps, claimed.id, fence, machine.id, target, deadline));
    if (ready && (await markRunning(deps.db, claimed.id, fence, machine.controllerUrl, deps.clock.now()))) {
      log.info({ machineId: machine.id }, 'instance running');
      await checkControllerVersion(deps, target); // records it; logs a mismatch or a failed probe
    } else if (!ready && deps.startWaitMs > 0) {
      // Still coming up: the reconciler finishes it (or gives up after STARTING_TIMEOUT_MS).
      log.warn({ machineId: machine.id, waitedMs: deps.startWaitMs }, 'instance not ready yet; leaving it starting');
    }
  } catch (err) {
    if (!(err instanceof ClaimLost)) {
      const released = await releaseFailedStart(deps.db, claimed.id, fence, lastErrorOf(err), deps.clock.now());
      if (released) {
        log.error({ reason: errorMessage(err) }, 'start failed');
        if (err instanceof InstanceError) throw err;
        throw InstanceUnavailable('Your instance could not be started — try again in a minute.', 'start_failed');
      }
    }
    log.info('start gave way to a stop or destroy that began meanwhile');
  }
  return viewOf(await findById(deps.db, claimed.id));
}

const STILL_WANTED_EVERY_MS = 5_000; // how often a waiting start checks that nobody stopped or destroyed it

/**
 * Machine started and gateway running, by `deadline`. Waits in slices and re-reads the claim between
 * them, so a stop or destroy during a long wait ends it at once instead of at the deadline.
 */
async function waitUntilReady(
  deps: InstanceDeps,
  id: string,
  fence: Date,
  machineId: string,
  target: ControllerTarget,
  deadline: number,
): Promise<boolean> {
  const stillStarting = async () => {
    const row = await findById(deps.db, id);
    if (row?.status !== 'starting' || row.startingAt?.getTime() !== fence.getTime()) throw new ClaimLost();
  };
  for (;;) {
    const slice = Math.max(1, Math.min(deadline, Date.now() + STILL_WANTED_EVERY_MS) - Date.now());
    if (await deps.provider.waitForState(machineId, 'started', slice)) break;
    if (Date.now() >= deadline) return false;
    await stillStarting();
  }
  for (;;) {
    const sliceEnd = Math.min(deadline, Date.now() + STILL_WANTED_EVERY_MS);
    if (await waitForGateway(target, sliceEnd)) return true;
    if (Date.now() >= deadline) return false;
    await stillStarting();
  }
}

/** Volume and machine in place (recovered, checked, created or adopted), launched, ids recorded. */
async function bringUp(
  deps: InstanceDeps,
  row: InstanceRow,
  fence: Date,
  log: InstanceDeps['logger'],
): Promise<Machine> {
  const { provider } = deps;
  const record = async (patch: Parameters<typeof recordResources>[3]) => {
    const status = await recordResources(deps.db, row.id, fence, patch, deps.clock.now());
    if (status !== 'starting') throw new ClaimLost();
  };
  let { machineId, volumeId } = row;

  // A lost machine id (crash between create and write, a restored database): find it by metadata.
  if (!machineId) {
    const found = (await provider.listMachinesByMetadata(METADATA_USER_ID, row.userId)).find(
      (m) => m.name === row.machineName || m.metadata[METADATA_INSTANCE_ID] === row.id,
    );
    if (found) {
      log.info({ machineId: found.id }, 'recovered the machine id from metadata');
      machineId = found.id;
      volumeId ??= found.volumeId;
      await record({ machineId, volumeId });
    }
  }

  // The volume is checked on every start: one deleted behind our back is replaced, not mounted.
  if (volumeId && !(await provider.getVolume(volumeId))) {
    log.warn({ volumeId }, 'volume is gone; creating a new one');
    volumeId = null;
  }
  if (!volumeId) {
    volumeId = (await provider.createVolume({ name: volumeNameFor(row.id) })).id;
    await record({ volumeId });
  }
  const spec = machineSpec(deps, row, volumeId);

  let machine = machineId ? await provider.getMachine(machineId) : null;
  if (!machine) {
    try {
      machine = await provider.createMachine({ name: row.machineName, spec });
    } catch (err) {
      if (!(err instanceof MachineNameTaken)) throw err;
      machine = await adopt(deps, row, err, volumeId);
      log.info({ machineId: machine.id }, 'adopted the machine that already had our name');
    }
  }
  await record({ machineId: machine.id, volumeId });

  if (
    machine.volumeId !== volumeId ||
    machine.metadata[METADATA_INSTANCE_ID] !== row.id ||
    carriesOldKey(deps, machine)
  ) {
    // recovered with the old (deleted) volume still in its config, adopted without our metadata, or
    // its controller token made with a CONTROLLER_SECRET since rotated: the new config carries the new token
    if (carriesOldKey(deps, machine)) log.info({ machineId: machine.id }, 'pushing the current controller token');
    machine = await provider.updateMachine(machine.id, spec);
  }
  if (machine.state !== 'started' && machine.state !== 'starting') {
    await provider.startMachine(machine.id);
  }
  return machine;
}

/** 409 on create: take over the machine holding our name, unless it is mounted on someone else's live volume. */
async function adopt(
  deps: InstanceDeps,
  row: InstanceRow,
  clash: MachineNameTaken,
  volumeId: string,
): Promise<Machine> {
  const existing = clash.existingMachineId
    ? await deps.provider.getMachine(clash.existingMachineId)
    : ((await deps.provider.listMachinesByMetadata(METADATA_USER_ID, row.userId)).find(
        (m) => m.name === row.machineName,
      ) ?? null);
  if (!existing)
    throw InstanceUnavailable(
      'A machine with this name exists but could not be found — try again in a minute.',
      'machine_name_taken',
    );
  if (existing.volumeId && existing.volumeId !== volumeId && (await deps.provider.getVolume(existing.volumeId))) {
    throw MachineOnAnotherVolume(existing.id);
  }
  return existing;
}
