// Every start path of the lifecycle against the Fly emulator over real HTTP, on PostgreSQL.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from '@/db/client';
import { kiloclawInstances } from '@/db/schema';
import type { FlyEmulator } from '@/emulators/fly/server';
import { InstanceError } from '@/instances/errors';
import { createInstanceService } from '@/instances/instance-service';
import { provision } from '@/instances/instance-store';
import { volumeNameFor } from '@/instances/lifecycle/deps';
import type { MachineProvider } from '@/instances/providers/provider';
import { STARTING_TIMEOUT_MS } from '@/instances/transitions';
import { fixedClock } from '@/platform/clock';
import { createTestDb, type TestDb } from '../harness/db';
import { eventually } from '../harness/eventually';
import { flyWithEmulator, instanceOf, lifecycleDeps } from '../harness/instances';
import { makeUser } from '../harness/users';

const clock = fixedClock('2026-11-28T12:00:00Z');
let tdb: TestDb;
let emulator: FlyEmulator;
let provider: MachineProvider;
let service: ReturnType<typeof createInstanceService>;

beforeAll(async () => {
  tdb = await createTestDb();
  ({ emulator, provider } = await flyWithEmulator());
  service = createInstanceService(lifecycleDeps(tdb.db, clock, provider));
});
afterAll(async () => {
  await emulator?.close();
  await tdb?.close();
});
beforeEach(() => {
  Object.assign(emulator.behaviour, {
    neverStart: false,
    startDelayMs: 20,
    listFlap: false,
    apiFailure: null,
    failVolumeDelete: false,
  });
});

const live = (userId: string) =>
  [...emulator.machines.values()].filter(
    (m) => m.state !== 'destroyed' && m.config.metadata?.kiloclaw_user_id === userId,
  );
const setRow = (id: string, patch: Partial<typeof kiloclawInstances.$inferInsert>) =>
  tdb.db.update(kiloclawInstances).set(patch).where(eq(kiloclawInstances.id, id));

describe('starting an instance on Fly', () => {
  it('creates a volume and a machine mounting it, and is running once the gateway reports running', async () => {
    const { id: userId } = await makeUser(tdb.db);
    const view = await service.start(userId);
    expect(view.status).toBe('running');
    const row = (await instanceOf(tdb.db, userId))!;
    const [machine] = live(userId);
    expect(machine).toBeDefined();
    expect(row.machineId).toBe(machine!.id);
    expect(machine!.name).toBe(row.machineName);
    expect(machine!.config.mounts).toEqual([{ volume: row.volumeId, path: '/data' }]);
    expect(machine!.config.metadata).toMatchObject({ kiloclaw_user_id: userId, kiloclaw_instance_id: row.id });
    expect(row.controllerUrl).toBe(`${emulator.url}/vm/${machine!.id}`);
    // the machine gets only the sha256 of its per-instance controller token, never the token or the server secret
    expect(machine!.config.env?.CONTROLLER_TOKEN_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(machine!.config.env?.CONTROLLER_TOKEN).toBeUndefined();
  });

  it('recovers a lost machine id by metadata instead of creating a second machine', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await service.start(userId);
    const first = (await instanceOf(tdb.db, userId))!;
    await service.stop(userId);
    await setRow(first.id, { machineId: null }); // e.g. a crash between create and the write

    expect((await service.start(userId)).status).toBe('running');
    expect(live(userId)).toHaveLength(1);
    expect((await instanceOf(tdb.db, userId))!.machineId).toBe(first.machineId);
  });

  it('replaces a volume that is gone (404) and remounts the machine on the new one', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await service.start(userId);
    const before = (await instanceOf(tdb.db, userId))!;
    await service.stop(userId);
    emulator.volumes.get(before.volumeId!)!.state = 'destroyed'; // deleted behind our back

    expect((await service.start(userId)).status).toBe('running');
    const after = (await instanceOf(tdb.db, userId))!;
    expect(after.volumeId).not.toBe(before.volumeId);
    expect(after.machineId).toBe(before.machineId);
    expect(emulator.machines.get(after.machineId!)!.config.mounts).toEqual([{ volume: after.volumeId, path: '/data' }]);
  });

  it('checks the volume on every start, also right after recovering the machine id', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await service.start(userId);
    const before = (await instanceOf(tdb.db, userId))!;
    await service.stop(userId);
    await setRow(before.id, { machineId: null });
    emulator.volumes.get(before.volumeId!)!.state = 'destroyed';

    expect((await service.start(userId)).status).toBe('running');
    const after = (await instanceOf(tdb.db, userId))!;
    expect(after.machineId).toBe(before.machineId);
    expect(after.volumeId).not.toBe(before.volumeId);
    expect(emulator.volumes.get(after.volumeId!)!.state).toBe('created');
  });

  it('adopts the existing machine when create answers 409 for a taken name', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await service.start(userId);
    const before = (await instanceOf(tdb.db, userId))!;
    await service.stop(userId);
    await setRow(before.id, { machineId: null });
    emulator.behaviour.listFlap = true; // metadata lookup sees nothing, so create is tried and clashes
    const mark = emulator.calls.length;

    expect((await service.start(userId)).status).toBe('running');
    expect(emulator.calls.slice(mark).filter((c) => c === 'POST /machines')).toHaveLength(1); // answered 409
    expect(live(userId)).toHaveLength(1);
    expect((await instanceOf(tdb.db, userId))!.machineId).toBe(before.machineId);
  });

  it('refuses to adopt a machine with our name that is mounted on another live volume', async () => {
    const { id: userId } = await makeUser(tdb.db);
    const row = await provision(tdb.db, userId, 'fly', clock.now());
    const foreignVolume = await provider.createVolume({ name: 'someone_else' });
    const foreign = await provider.createMachine({
      name: row.machineName,
      spec: { env: {}, volumeId: foreignVolume.id, metadata: {} },
    });

    const err = await service.start(userId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstanceError);
    expect((err as InstanceError).code).toBe('machine_on_another_volume');
    const after = (await instanceOf(tdb.db, userId))!;
    expect(after.status).toBe('stopped');
    expect(after.lastError).toMatch(/another volume/);
    expect(emulator.machines.get(foreign.id)!.config.mounts?.[0]?.volume).toBe(foreignVolume.id); // untouched
  });

  it('records the machine id before waiting, and gives up a machine that never starts after 5 minutes', async () => {
    emulator.behaviour.neverStart = true;
    const { id: userId } = await makeUser(tdb.db);
    const quick = createInstanceService(lifecycleDeps(tdb.db, clock, provider, 1_200));
    expect((await quick.start(userId)).status).toBe('starting');
    const row = (await instanceOf(tdb.db, userId))!;
    expect(row.machineId).toBeTruthy();

    clock.advance(STARTING_TIMEOUT_MS - 60_000);
    await quick.reconcile();
    expect((await instanceOf(tdb.db, userId))!.status).toBe('starting');

    clock.advance(61_000);
    const report = await quick.reconcile();
    expect(report.passes.start_timeout.actioned).toBeGreaterThanOrEqual(1);
    const after = (await instanceOf(tdb.db, userId))!;
    expect(after.status).toBe('stopped');
    expect(after.lastError).toMatch(/did not start within 5 minutes/);
  });

  it('gives up a stuck start after 5 minutes even while the provider keeps erroring', async () => {
    emulator.behaviour.neverStart = true;
    const { id: userId } = await makeUser(tdb.db);
    const quick = createInstanceService(lifecycleDeps(tdb.db, clock, provider, 1_000));
    await quick.start(userId);
    emulator.behaviour.apiFailure = 503;

    clock.advance(STARTING_TIMEOUT_MS + 1_000);
    await quick.reconcile();
    const row = (await instanceOf(tdb.db, userId))!;
    expect(row.status).toBe('stopped');
    expect(row.lastError).toMatch(/stop failed/); // the machine could not be told to stop during the outage

    emulator.behaviour.apiFailure = null;
    const report = await quick.reconcile();
    expect(report.passes.stop_retry.actioned).toBe(1);
    expect(emulator.machines.get(row.machineId!)!.state).toBe('stopped');
    expect((await instanceOf(tdb.db, userId))!.lastError).toBeNull();
  });

  it('lets a destroy that began meanwhile win over a start that is finishing', async () => {
    emulator.behaviour.startDelayMs = 600;
    const { id: userId } = await makeUser(tdb.db);
    const starting = service.start(userId);
    const row = await eventually(
      async () => {
        const r = await instanceOf(tdb.db, userId);
        return r?.machineId ? r : null;
      },
      { timeoutMs: 5_000, what: 'the machine id to be recorded' },
    );

    const destroyed = await service.destroy(userId);
    const started = await starting;
    expect(destroyed.status).toBe('none');
    expect(['destroying', 'none']).toContain(started.status); // the start reports the destroy, never `running`
    expect(await instanceOf(tdb.db, userId)).toBeNull();
    expect(emulator.machines.get(row.machineId!)!.state).toBe('destroyed');
    expect(emulator.volumes.get(row.volumeId!)!.state).toBe('destroyed');
  });

  it('ends a long wait soon after the instance is stopped meanwhile', async () => {
    emulator.behaviour.neverStart = true;
    const { id: userId } = await makeUser(tdb.db);
    const patient = createInstanceService(lifecycleDeps(tdb.db, clock, provider, 120_000));
    const starting = patient.start(userId);
    await eventually(async () => (await instanceOf(tdb.db, userId))?.machineId, {
      timeoutMs: 5_000,
      what: 'the machine id to be recorded',
    });
    const stoppedAt = Date.now();
    expect((await patient.stop(userId)).status).toBe('stopped');
    expect((await starting).status).toBe('stopped');
    expect(Date.now() - stoppedAt).toBeLessThan(8_000); // not the 2 minutes it was willing to wait
  });

  it('creates exactly one machine when two replicas start the same instance at once', async () => {
    const { id: userId } = await makeUser(tdb.db);
    const other = createDb(tdb.url, { max: 4 }); // a second app replica: its own connections
    try {
      const a = createInstanceService(lifecycleDeps(tdb.db, clock, provider));
      const b = createInstanceService(lifecycleDeps(other.db, clock, provider));
      const results = await Promise.allSettled([a.start(userId), b.start(userId), a.start(userId), b.start(userId)]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const busy = results.filter((r) => r.status === 'rejected');
      expect(ok.length).toBeGreaterThanOrEqual(1);
      for (const r of busy) expect(((r as PromiseRejectedResult).reason as InstanceError).code).toBe('instance_busy');
      expect(live(userId)).toHaveLength(1);
      const row = (await instanceOf(tdb.db, userId))!;
      expect([...emulator.volumes.values()].filter((v) => v.name === volumeNameFor(row.id))).toHaveLength(1);
      expect(row.status).toBe('running');
    } finally {
      await other.close();
    }
  });
});

describe('stopping, destroying and reconciling on Fly', () => {
  it('stops the machine and starts the same one again', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await service.start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    expect((await service.stop(userId)).status).toBe('stopped');
    expect(emulator.machines.get(row.machineId!)!.state).toBe('stopped');
    expect((await service.start(userId)).status).toBe('running');
    expect(live(userId)).toHaveLength(1);
  });

  it('keeps a destroy pending while the volume cannot be deleted, and finishes it on a later reconcile', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await service.start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    emulator.behaviour.failVolumeDelete = true;
    expect((await service.destroy(userId)).status).toBe('destroying');
    const pending = (await instanceOf(tdb.db, userId))!;
    expect(pending.machineId).toBeNull(); // phase 1 done
    expect(pending.volumeId).toBe(row.volumeId);
    expect(pending.lastError).toMatch(/volume/);
    expect(emulator.machines.get(row.machineId!)!.state).toBe('destroyed');

    emulator.behaviour.failVolumeDelete = false;
    await service.reconcile();
    expect(await instanceOf(tdb.db, userId)).toBeNull();
    expect(emulator.volumes.get(row.volumeId!)!.state).toBe('destroyed');
  });

  it('marks a running instance whose machine disappeared as stopped', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await service.start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    emulator.machines.get(row.machineId!)!.state = 'destroyed';
    await service.reconcile();
    const after = (await instanceOf(tdb.db, userId))!;
    expect(after.status).toBe('stopped');
    expect(after.machineId).toBeNull();
    expect(after.lastError).toMatch(/gone/);
  });

  it('refuses to start an instance that is being destroyed', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await service.start(userId);
    emulator.behaviour.failVolumeDelete = true;
    await service.destroy(userId);
    const err = await service.start(userId).catch((e: unknown) => e);
    expect((err as InstanceError).code).toBe('instance_destroying');
  });
});
