// The destruction sweep with the real instance side on the Fly emulator (PostgreSQL, real SMTP
// inbox): the claim and the instance's `destroying` commit together, and "instance deleted" is
// only said once machine and volume are gone — also when the destroy is finished later by the
// reconciler.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import type { InstanceActions } from '@/billing/ports';
import type { FlyEmulator } from '@/emulators/fly/server';
import { createInstanceService, type InstanceService } from '@/instances/instance-service';
import { fixedClock } from '@/platform/clock';
import { lifecycleDeps, type MailWorld, NOW, startMailWorld, subOf, suspended } from '../harness/cron-fixtures';
import { flyWithEmulator, lifecycleDeps as instanceDeps, instanceOf } from '../harness/instances';
import { makeUser } from '../harness/users';

const DELETED = 'Your KiloClaw instance has been deleted';
const clock = fixedClock(NOW);
let w: MailWorld;
let emulator: FlyEmulator;
let instances: InstanceService;

beforeAll(async () => {
  w = await startMailWorld();
  const fly = await flyWithEmulator();
  emulator = fly.emulator;
  instances = createInstanceService(instanceDeps(w.tdb.db, clock, fly.provider));
});
afterAll(async () => {
  await emulator?.close();
  await w?.close();
});
beforeEach(() => {
  emulator.behaviour.apiFailure = null;
  emulator.behaviour.failVolumeDelete = false;
});

/** A billing cron run whose instance side is `actions` (the real one unless a test says otherwise). */
const cronRun = (actions: InstanceActions = instances.actions()) =>
  runBillingLifecycle({ ...lifecycleDeps({ db: w.tdb.db, mailer: w.mailer, clock }), instanceActions: actions });

/** A user suspended 8 days ago (destruction due) whose instance is running on Fly. */
async function dueForDestruction() {
  const user = await makeUser(w.tdb.db, { sub: suspended(8) });
  expect((await instances.start(user.id)).status).toBe('running');
  const row = (await instanceOf(w.tdb.db, user.id))!;
  return { user, machineId: row.machineId!, volumeId: row.volumeId! };
}

const deletedMails = (email: string) => w.sink.to(email).filter((m) => m.subject === DELETED);

describe('destroying the instance of a user whose grace period is over', () => {
  it('sends no email while the provider fails, and says it once after the reconciler finished the destroy', async () => {
    const { user, machineId, volumeId } = await dueForDestruction();
    emulator.behaviour.apiFailure = 503; // Fly is down for the whole cron run

    const first = await cronRun();
    expect(deletedMails(user.email)).toEqual([]);
    expect(first.sweeps.destruction.errors).toBe(1); // reported, not hidden
    expect((await instanceOf(w.tdb.db, user.id))?.status).toBe('destroying');
    expect((await subOf(w.tdb.db, user.id))?.destructionDeadline).toBeNull(); // claimed: not destroyed twice

    emulator.behaviour.apiFailure = null;
    await instances.reconcile(); // destroy_retry finishes it
    expect(await instanceOf(w.tdb.db, user.id)).toBeNull();
    expect(emulator.machines.get(machineId)?.state).toBe('destroyed');
    expect(emulator.volumes.get(volumeId)?.state).toBe('destroyed');

    await cronRun();
    await cronRun();
    expect(deletedMails(user.email)).toHaveLength(1);
  });

  it('keeps quiet while only the volume delete fails, then tells the user once it is gone', async () => {
    const { user, volumeId } = await dueForDestruction();
    emulator.behaviour.failVolumeDelete = true;

    await cronRun();
    expect(deletedMails(user.email)).toEqual([]);
    const pending = (await instanceOf(w.tdb.db, user.id))!;
    expect(pending).toMatchObject({ status: 'destroying', machineId: null, volumeId });

    emulator.behaviour.failVolumeDelete = false;
    await instances.reconcile();
    await cronRun();
    await cronRun();
    expect(await instanceOf(w.tdb.db, user.id)).toBeNull();
    expect(deletedMails(user.email)).toHaveLength(1);
  });

  it('has already marked the instance destroying when the process dies right after the claim commits', async () => {
    const { user, machineId } = await dueForDestruction();
    // a run that dies after its claim committed: nothing after the commit happens
    const dies: InstanceActions = {
      ...instances.actions(),
      destroy: async () => {
        throw new Error('the process died');
      },
    };

    await cronRun(dies);
    expect(deletedMails(user.email)).toEqual([]);
    expect((await instanceOf(w.tdb.db, user.id))?.status).toBe('destroying'); // nothing can start it again

    await cronRun(); // a later run never says "deleted" while the machine still exists
    expect(deletedMails(user.email)).toEqual([]);
    await instances.reconcile();
    expect(emulator.machines.get(machineId)?.state).toBe('destroyed');
    await cronRun();
    expect(deletedMails(user.email)).toHaveLength(1);
  });

  it('tells a user without an instance at once', async () => {
    const user = await makeUser(w.tdb.db, { sub: suspended(8) });
    await cronRun();
    expect(deletedMails(user.email)).toHaveLength(1);
  });
});
