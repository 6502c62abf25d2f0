// The reconciler at fleet scale, on the Fly emulator: running rows are compared with one paged
// listing of the app's machines (not one Get Machine each), a machine that changed is found and
// repaired in the same run, Fly's 429 + Retry-After is honoured (or the rest is left for the next
// run), and a started machine no instance owns any more is stopped.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kiloclawInstances } from '@/db/schema';
import { MachineImage } from '@/emulators/fly/machine-image';
import { FLY_RATE_LIMITS, type FlyEmulator } from '@/emulators/fly/server';
import { reconcileInstances } from '@/instances/lifecycle/reconcile';
import { LIST_PAGE_SIZE } from '@/instances/providers/fly/fly-client';
import { type MachineProvider, METADATA_INSTANCE_ID, METADATA_USER_ID } from '@/instances/providers/provider';
import { systemClock } from '@/platform/clock';
import { createTestDb, type TestDb } from '../harness/db';
import { flyWithEmulator, lifecycleDeps } from '../harness/instances';

const FLEET = 2 * LIST_PAGE_SIZE + 100; // three pages
let tdb: TestDb;
let emulator: FlyEmulator;
let provider: MachineProvider;

const deps = () => lifecycleDeps(tdb.db, systemClock, provider);
const apiCalls = (from: number) => emulator.calls.slice(from);

/** FLEET running instances, each with a started machine in the emulator. */
async function seedFleet(): Promise<void> {
  await tdb.db.execute(sql`
    insert into users (id, name, email)
    select 'fleet' || g, 'Fleet ' || g, 'fleet' || g || '@example.test' from generate_series(1, ${FLEET}) g`);
  await tdb.db.execute(sql`
    insert into kiloclaw_instances (user_id, status, provider, machine_name, machine_id, status_changed_at)
    select 'fleet' || g, 'running', 'fly', 'kiloclaw-fleet-' || g, 'fleet' || lpad(g::text, 9, '0'),
           now() - interval '1 hour'
    from generate_series(1, ${FLEET}) g`);
  const rows = await tdb.db
    .select({ id: kiloclawInstances.id, userId: kiloclawInstances.userId, machineId: kiloclawInstances.machineId })
    .from(kiloclawInstances);
  for (const row of rows) addMachine(row.machineId as string, row.id, row.userId, 'started');
}

function addMachine(id: string, instanceId: string, userId: string, state: string): void {
  emulator.machines.set(id, {
    id,
    name: `kiloclaw-${instanceId}`,
    state,
    region: 'iad',
    instance_id: id.toUpperCase(),
    private_ip: 'fdaa::1',
    config: { image: 'test', metadata: { [METADATA_USER_ID]: userId, [METADATA_INSTANCE_ID]: instanceId } },
    created_at: new Date().toISOString(),
    image: new MachineImage(),
    controller: 'current',
  });
}

const statusOfMachine = async (machineId: string) =>
  (
    await tdb.db
      .select({ status: kiloclawInstances.status })
      .from(kiloclawInstances)
      .where(eq(kiloclawInstances.machineId, machineId))
  )[0]?.status;

beforeAll(async () => {
  tdb = await createTestDb();
  ({ emulator, provider } = await flyWithEmulator());
  await seedFleet();
});
afterAll(async () => {
  await emulator?.close();
  await tdb?.close();
});
beforeEach(() => {
  emulator.behaviour.rateLimits = null;
});

describe('the reconciler over a fleet', () => {
  it('checks every running instance with one list call per page and no call per machine', async () => {
    const from = emulator.calls.length;
    const summary = await reconcileInstances(deps());
    expect(summary).toMatchObject({ ok: true, errorCount: 0 });
    expect(summary.passes.running_check.actioned).toBe(0);
    const calls = apiCalls(from);
    expect(calls.filter((c) => c === 'GET /machines')).toHaveLength(Math.ceil(FLEET / LIST_PAGE_SIZE));
    expect(calls).toHaveLength(Math.ceil(FLEET / LIST_PAGE_SIZE));
  });

  it('finds the one machine that stopped behind its back and repairs its row in the same run', async () => {
    const changed = 'fleet000000777';
    const machine = emulator.machines.get(changed);
    expect(machine).toBeDefined();
    if (machine) machine.state = 'stopped';
    const from = emulator.calls.length;
    const summary = await reconcileInstances(deps());
    expect(summary.passes.running_check.actioned).toBe(1);
    expect(await statusOfMachine(changed)).toBe('stopped');
    // the listing said "stopped": one Get Machine confirms it (an empty or partial list is no proof)
    expect(apiCalls(from).filter((c) => c.startsWith('GET /machines/'))).toEqual([`GET /machines/${changed}`]);
  });

  it('does not stop a row whose machine the listing missed but a Get Machine still finds running', async () => {
    emulator.behaviour.listFlap = true; // Fly once returned empty lists to some callers
    try {
      const summary = await reconcileInstances(deps());
      expect(summary.passes.running_check.actioned).toBe(0);
      expect(await statusOfMachine('fleet000000001')).toBe('running');
    } finally {
      emulator.behaviour.listFlap = false;
    }
  });

  it('waits out Fly’s 429 + Retry-After and still finishes the run', async () => {
    emulator.behaviour.rateLimits = { ...FLY_RATE_LIMITS, list: { perSecond: 2, burst: 1 } };
    const from = emulator.calls.length;
    const summary = await reconcileInstances(deps());
    expect(summary).toMatchObject({ ok: true, errorCount: 0 });
    // at least one page was refused first and asked again
    expect(apiCalls(from).filter((c) => c === 'GET /machines').length).toBeGreaterThan(
      Math.ceil(FLEET / LIST_PAGE_SIZE),
    );
  });

  it('leaves the rest for the next run when Fly asks to wait longer than a run may, and changes nothing', async () => {
    const changed = 'fleet000000888';
    const machine = emulator.machines.get(changed);
    if (machine) machine.state = 'stopped';
    emulator.behaviour.rateLimits = { ...FLY_RATE_LIMITS, list: { perSecond: 0.01, burst: 0 } }; // Retry-After: 100 s
    const limited = await reconcileInstances(deps());
    expect(limited.ok).toBe(true); // not a failure an operator is paged for: the next run goes on
    expect(limited.errors.map((e) => e.message)).toContain(
      'the provider is rate limiting us; the next run goes on from here',
    );
    expect(await statusOfMachine(changed)).toBe('running');

    emulator.behaviour.rateLimits = null;
    const next = await reconcileInstances(deps());
    expect(next.passes.running_check.actioned).toBe(1);
    expect(await statusOfMachine(changed)).toBe('stopped');
  });

  it('stops a started machine whose instance is stopped or gone, and spares one whose stop is seconds old', async () => {
    const [row] = await tdb.db
      .update(kiloclawInstances)
      .set({ status: 'stopped', statusChangedAt: new Date(Date.now() - 10 * 60_000) })
      .where(eq(kiloclawInstances.machineId, 'fleet000000003'))
      .returning();
    const [fresh] = await tdb.db
      .update(kiloclawInstances)
      .set({ status: 'stopped', statusChangedAt: new Date() })
      .where(eq(kiloclawInstances.machineId, 'fleet000000004'))
      .returning();
    expect(row && fresh).toBeTruthy();
    addMachine('orphan00000001', '00000000-0000-4000-8000-000000000001', 'nobody', 'started');

    const summary = await reconcileInstances(deps());
    expect(summary.passes.stray_stop.actioned).toBe(2);
    expect(emulator.machines.get('fleet000000003')?.state).toBe('stopped');
    expect(emulator.machines.get('orphan00000001')?.state).toBe('stopped');
    expect(emulator.machines.get('fleet000000004')?.state).toBe('started'); // its stop may be in flight
  });
});
