// Rotating CONTROLLER_SECRET without breaking running instances, against the Fly emulator over real
// HTTP on PostgreSQL: the app talks to machines still carrying the previous key, and each machine gets
// a token made with the new key on its next start or reconcile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerKeyId, controllerToken, controllerTokenVerifier } from '@/contracts/controller-token';
import type { FlyEmulator } from '@/emulators/fly/server';
import { createInstanceService } from '@/instances/instance-service';
import { controllerTarget, type InstanceDeps } from '@/instances/lifecycle/deps';
import { gatewayRunning } from '@/instances/lifecycle/readiness';
import type { MachineProvider } from '@/instances/providers/provider';
import { fixedClock } from '@/platform/clock';
import { createTestDb, type TestDb } from '../harness/db';
import { eventually } from '../harness/eventually';
import { flyWithEmulator, instanceOf, lifecycleDeps } from '../harness/instances';
import { makeUser } from '../harness/users';

const OLD_KEY = 'old-controller-secret-0123456789abcdef';
const NEW_KEY = 'new-controller-secret-0123456789abcdef';
/** what a machine holds of its controller token (its sha256) */
const tokenHash = (secret: string, instanceId: string) => controllerTokenVerifier(controllerToken(secret, instanceId));
const clock = fixedClock('2026-11-28T12:00:00Z');
let tdb: TestDb;
let emulator: FlyEmulator;
let provider: MachineProvider;
let before: InstanceDeps; // the app before the rotation
let during: InstanceDeps; // CONTROLLER_SECRET=new, CONTROLLER_SECRET_PREVIOUS=old
let after: InstanceDeps; // the previous key removed

beforeAll(async () => {
  tdb = await createTestDb();
  ({ emulator, provider } = await flyWithEmulator());
  const base = lifecycleDeps(tdb.db, clock, provider);
  before = { ...base, controllerSecret: OLD_KEY };
  during = { ...base, controllerSecret: NEW_KEY, controllerSecretPrevious: OLD_KEY };
  after = { ...base, controllerSecret: NEW_KEY };
});
afterAll(async () => {
  await emulator?.close();
  await tdb?.close();
});

const machineOf = async (userId: string) => emulator.machines.get((await instanceOf(tdb.db, userId))!.machineId!)!;

async function runningUnder(deps: InstanceDeps): Promise<{ userId: string; instanceId: string }> {
  const { id: userId } = await makeUser(tdb.db);
  expect((await createInstanceService(deps).start(userId)).status).toBe('running');
  return { userId, instanceId: (await instanceOf(tdb.db, userId))!.id };
}

const reachable = async (deps: InstanceDeps, userId: string, instanceId: string) =>
  gatewayRunning(controllerTarget(deps, (await instanceOf(tdb.db, userId))!.controllerUrl!, instanceId));

describe('CONTROLLER_SECRET rotation', () => {
  it('records which key made a machine token, by id, never the key itself', async () => {
    const { userId, instanceId } = await runningUnder(before);
    const m = await machineOf(userId);
    expect(m.config.metadata?.kiloclaw_controller_key).toBe(controllerKeyId(OLD_KEY));
    expect(controllerKeyId(OLD_KEY)).toMatch(/^[0-9a-f]{8}$/);
    expect(JSON.stringify(m.config)).not.toContain(OLD_KEY);
    expect(m.config.env?.CONTROLLER_TOKEN_SHA256).toBe(tokenHash(OLD_KEY, instanceId));
  });

  it('keeps talking to a machine with the previous key while both are configured, and not after', async () => {
    const { userId, instanceId } = await runningUnder(before);
    expect(await reachable(during, userId, instanceId)).toBe(true);
    expect(await reachable(after, userId, instanceId)).toBe(false); // dropped too early: the machine refuses
  });

  it('pushes a token made with the new key to a running machine on the next reconcile', async () => {
    const { userId, instanceId } = await runningUnder(before);
    const report = await createInstanceService(during).reconcile();
    expect(report.passes.controller_key.actioned).toBeGreaterThanOrEqual(1);
    const m = await machineOf(userId);
    expect(m.config.env?.CONTROLLER_TOKEN_SHA256).toBe(tokenHash(NEW_KEY, instanceId));
    expect(m.config.metadata?.kiloclaw_controller_key).toBe(controllerKeyId(NEW_KEY));
    await eventually(() => reachable(after, userId, instanceId), { what: 'controller answers the new key' });
    expect((await instanceOf(tdb.db, userId))!.status).toBe('running');
    // a second reconcile has nothing left to push for this machine
    await createInstanceService(during).reconcile();
    expect((await machineOf(userId)).config.env?.CONTROLLER_TOKEN_SHA256).toBe(tokenHash(NEW_KEY, instanceId));
  });

  it('pushes it to a stopped machine when it is started again', async () => {
    const { userId, instanceId } = await runningUnder(before);
    await createInstanceService(before).stop(userId);
    expect((await createInstanceService(during).start(userId)).status).toBe('running');
    expect((await machineOf(userId)).config.env?.CONTROLLER_TOKEN_SHA256).toBe(tokenHash(NEW_KEY, instanceId));
    expect(await reachable(after, userId, instanceId)).toBe(true);
  });

  it('leaves a machine from before key ids alone outside a rotation, and updates it during one', async () => {
    const { userId, instanceId } = await runningUnder(before);
    const m = await machineOf(userId);
    delete m.config.metadata?.kiloclaw_controller_key; // made before machines carried a key id

    // (the other tests' machines, on the new key, are moved back to this run's key: not this one)
    await createInstanceService(before).reconcile();
    const untouched = await machineOf(userId);
    expect(untouched.config.metadata?.kiloclaw_controller_key).toBeUndefined(); // no restart for a missing label
    expect(untouched.config.env?.CONTROLLER_TOKEN_SHA256).toBe(tokenHash(OLD_KEY, instanceId));

    await createInstanceService(during).reconcile();
    expect((await machineOf(userId)).config.env?.CONTROLLER_TOKEN_SHA256).toBe(tokenHash(NEW_KEY, instanceId));
  });
});
