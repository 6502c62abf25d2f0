// Starting an instance (docs/architecture.md §7.1). The compare-and-set `→ starting` is the lock: of two
// replicas starting the same instance only one gets past it, so only one machine is created.
// Everything the start creates is written down before it waits, so a destroy can always find it.
// A start that loses its claim (to a stop, a suspension or a destroy) gives back the machine it
// created, found or launched before returning, so no machine runs with nothing tracking it.

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
import { attemptDestroy } from './destroy';
import { waitForGateway } from './readiness';

/** Lost our claim to a stop, a timeout or a destroy: someone else now decides. */
class ClaimLost extends Error {}

/** The machine a start has created, found or launched so far: what it gives back when it loses. */
type Touched = { machineId: string | null };

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
  const touched: Touched = { machineId: null };
  try {
    const machine = await bringUp(deps, claimed, fence, log, touched);
    const target = controllerTarget(deps, machine.controllerUrl, claimed.id);
    const ready = deps.startWaitMs > 0 && (await waitUntilReady(deps, claimed.id, fence, machine.id, target, deadline));
    if (ready && (await markRunning(deps.db, claimed.id, fence, machine.controllerUrl, deps.clock.now()))) {
      log.info({ machineId: machine.id }, 'instance running');
      await checkControllerVersion(deps, target); // records it; logs a mismatch or a failed probe
      await applyChannelsAfterStart(deps, claimed.id, target, log);
    } else if (ready) {
      throw new ClaimLost(); // up and ready, but stopped or destroyed meanwhile
    } else if (!ready && deps.startWaitMs > 0) {
      // Still coming up: the reconciler finishes it (or gives up after STARTING_TIMEOUT_MS).
      log.warn({ machineId: machine.id, waitedMs: deps.startWaitMs }, 'instance not ready yet; leaving it starting');
    }
  } catch (err) {
    if (!(err instanceof ClaimLost)) {
      const released = await releaseFailedStart(deps.db, claimed.id, fence, lastErrorOf(err), deps.clock.now());
      if (released) {
        log.error({ reason: errorMessage(err) }, 'start failed');
        await giveBack(deps, claimed.id, touched, log); // a machine launched before the failure must not run on
        if (err instanceof InstanceError) throw err;
        throw InstanceUnavailable('Your instance could not be started — try again in a minute.', 'start_failed');
      }
    }
    log.info('start gave way to a stop or destroy that began meanwhile');
    await giveBack(deps, claimed.id, touched, log);
  }
  return viewOf(await findById(deps.db, claimed.id));
}

/**
 * Every start re-applies the instance's chat channels: a new or replaced machine gets them, and a
 * change made while it was stopped lands now. A failure leaves the instance running (the reconciler retries).
 */
async function applyChannelsAfterStart(
  deps: InstanceDeps,
  instanceId: string,
  target: ControllerTarget,
  log: InstanceDeps['logger'],
): Promise<void> {
  if (!deps.applyChannels) return;
  try {
    await deps.applyChannels(instanceId, target);
  } catch (err) {
    log.warn({ reason: errorMessage(err) }, 'channels not applied at start; the reconciler retries');
  }
}

/**
 * The machine of a start that no longer holds its claim, put where the instance now is: destroyed
 * with it when it is `destroying` (or gone), stopped when it is stopped. A stop that won the claim
 * before this start recorded or launched the machine cannot have stopped it. A newer start's claim
 * (`starting`, `running`) owns the machine now and it is left alone. Never throws: what fails here
 * is left to the reconciler's destroy_retry and stray_stop passes.
 */
async function giveBack(deps: InstanceDeps, instanceId: string, touched: Touched, log: InstanceDeps['logger']) {
  const { machineId } = touched;
  if (!machineId) return;
  try {
    const row = await findById(deps.db, instanceId);
    if (!row) {
      await deps.provider.destroyMachine(machineId);
      log.info({ machineId }, 'destroyed the machine of a start whose instance was destroyed meanwhile');
    } else if (row.status === 'destroying') {
      // the whole destroy, not only this machine: the destroyer may have listed the machines before this one existed
      await attemptDestroy(deps, instanceId);
    } else if (row.status !== 'starting' && row.status !== 'running') {
      await deps.provider.stopMachine(machineId);
      log.info({ machineId }, 'stopped the machine of a start that lost its claim');
    }
  } catch (err) {
    log.warn({ machineId, reason: errorMessage(err) }, 'machine of a lost start not given back; the reconciler will');
  }
}

/** Throws ClaimLost unless this start (its `fence`) still holds the instance. */
async function assertStillStarting(deps: InstanceDeps, id: string, fence: Date): Promise<void> {
  const row = await findById(deps.db, id);
  if (row?.status !== 'starting' || row.startingAt?.getTime() !== fence.getTime()) throw new ClaimLost();
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
  const stillStarting = () => assertStillStarting(deps, id, fence);
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
  touched: Touched,
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
      touched.machineId = found.id;
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
  touched.machineId = machine.id;
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
    // A stopped machine starts from its spec, not its old config: a new FLY_IMAGE, a changed machine
    // contract or a rotated CONTROLLER_SECRET reach every instance at its next start (update launches).
    machine = await provider.updateMachine(machine.id, spec);
  }
  // Launched: a stop that took the claim after the record above may have stopped the machine before
  // this launch reached it, so the claim is read again now (and a lost one gives the machine back).
  await assertStillStarting(deps, row.id, fence);
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
