// POST /api/cron/reconcile-instances over real HTTP, and billing's InstanceActions port wired to
// the real lifecycle (Fly emulator, PostgreSQL).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawSubscriptions } from '@/db/schema';
import { fixedClock } from '@/platform/clock';
import { TEST_SECRETS } from '../harness/app';
import { eventually } from '../harness/eventually';
import { type FlyWorld, instanceOf, startFlyWorld } from '../harness/instances';
import { makeUser } from '../harness/users';

const clock = fixedClock('2026-11-28T12:00:00Z');
let w: FlyWorld;

beforeAll(async () => {
  w = await startFlyWorld({ clock });
});
afterAll(async () => {
  await w?.close();
});

const cron = (headers: Record<string, string> = {}, method = 'POST') =>
  fetch(`${w.app.url}/api/cron/reconcile-instances`, { method, headers });

const setSubscription = (userId: string, values: { status: 'active' | 'canceled'; suspendedAt: Date | null }) =>
  w.tdb.db.update(kiloclawSubscriptions).set(values).where(eq(kiloclawSubscriptions.userId, userId));

/** A resumed instance says `starting` until its machine is up, and `running` after the reconciler's pass. */
async function expectStartFinishes(userId: string, machineId: string): Promise<void> {
  expect((await instanceOf(w.tdb.db, userId))!.status).toBe('starting');
  await eventually(async () => w.emulator.machines.get(machineId)!.state === 'started', {
    timeoutMs: 5_000,
    what: 'the machine to start',
  });
  await w.app.deps.instances.reconcile();
  expect((await instanceOf(w.tdb.db, userId))!.status).toBe('running');
}

describe('POST /api/cron/reconcile-instances', () => {
  it('answers 401 without the bearer secret (POST or Vercel Cron’s GET) and 405 to other methods, and changes nothing', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    await w.app.deps.instances.start(userId);
    const row = (await instanceOf(w.tdb.db, userId))!;
    w.emulator.machines.get(row.machineId!)!.state = 'destroyed';

    const denied = await cron({ authorization: 'Bearer wrong-secret-wrong-secret' });
    expect(denied.status).toBe(401);
    expect((await denied.json()).error).toMatch(/CRON_SECRET/);
    expect((await cron({}, 'GET')).status).toBe(401);
    expect((await cron({ authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` }, 'PUT')).status).toBe(405);
    expect((await instanceOf(w.tdb.db, userId))!.status).toBe('running');
  });

  it('reconciles: a running instance whose machine is gone becomes stopped', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    await w.app.deps.instances.start(userId);
    const row = (await instanceOf(w.tdb.db, userId))!;
    w.emulator.machines.get(row.machineId!)!.state = 'destroyed';

    const res = await cron({ authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ ok: true });
    expect(body.passes.running_check.actioned).toBeGreaterThanOrEqual(1);
    expect((await instanceOf(w.tdb.db, userId))!.status).toBe('stopped');
  });

  it('stops the running instance of a suspended user whose stop the billing cron could not make', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    await w.app.deps.instances.start(userId);
    const row = (await instanceOf(w.tdb.db, userId))!;
    expect(row.status).toBe('running');
    // suspended, but the cron's stop call never reached the instance
    await w.tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'canceled', suspendedAt: clock.now() });

    const res = await cron({ authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` });
    expect(res.status).toBe(200);
    expect((await res.json()).passes.suspended_stop.actioned).toBeGreaterThanOrEqual(1);
    expect((await instanceOf(w.tdb.db, userId))!.status).toBe('stopped');
    expect(w.emulator.machines.get(row.machineId!)!.state).toBe('stopped');
  });
});

describe("billing's InstanceActions port", () => {
  it('stops, resumes and destroys the real instance, and ignores users without one', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    await w.tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'canceled', suspendedAt: clock.now() });
    const actions = w.app.deps.instanceActions;
    await actions.stop(userId); // no instance yet: a no-op
    await w.tdb.db.transaction((tx) => actions.markForDestruction([userId], tx));
    expect(await actions.destroy(userId)).toBe(true); // nothing to destroy
    expect(await actions.withInstance([userId])).toEqual(new Set());
    await actions.resume(userId);
    expect(await instanceOf(w.tdb.db, userId)).toBeNull();

    await w.app.deps.instances.start(userId);
    const row = (await instanceOf(w.tdb.db, userId))!;
    await actions.stop(userId);
    expect((await instanceOf(w.tdb.db, userId))!.status).toBe('stopped');
    expect(w.emulator.machines.get(row.machineId!)!.state).toBe('stopped');

    // a payment reactivates the user (the webhook clears the suspension, then resumes)
    await setSubscription(userId, { status: 'active', suspendedAt: null });
    await actions.resume(userId); // answers at once; the reconciler finishes the start
    await expectStartFinishes(userId, row.machineId!);

    await setSubscription(userId, { status: 'canceled', suspendedAt: clock.now() });
    // an instance not marked for destruction is never destroyed
    expect(await actions.destroy(userId)).toBe(false);
    expect((await instanceOf(w.tdb.db, userId))!.status).toBe('running');
    // the destruction sweep's claim marks it in billing's transaction, then asks for the destroy
    await w.tdb.db.transaction((tx) => actions.markForDestruction([userId], tx));
    expect((await instanceOf(w.tdb.db, userId))!.status).toBe('destroying');
    expect(await actions.destroy(userId)).toBe(true);
    expect(await instanceOf(w.tdb.db, userId)).toBeNull();
    expect(w.emulator.machines.get(row.machineId!)!.state).toBe('destroyed');
  });

  it('starts again an instance billing stopped once the user has paid, when the resume never came', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    await w.tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'canceled', suspendedAt: clock.now() });
    await w.app.deps.instances.start(userId);
    await w.app.deps.instanceActions.stop(userId);
    const row = (await instanceOf(w.tdb.db, userId))!;
    expect(row).toMatchObject({ status: 'stopped', stopReason: 'suspension' });
    // the payment is recorded, but the webhook's resume call is lost
    await setSubscription(userId, { status: 'active', suspendedAt: null });

    const res = await cron({ authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` });
    expect((await res.json()).passes.reactivated_resume.actioned).toBe(1);
    await expectStartFinishes(userId, row.machineId!);
  });

  it('never starts an instance the user stopped themselves, on reactivation or by the reconciler', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    await w.tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'active' });
    await w.app.deps.instances.start(userId);
    await w.app.deps.instances.stop(userId); // the customer's own choice
    // later suspended (already stopped) and then reactivated
    await setSubscription(userId, { status: 'canceled', suspendedAt: clock.now() });
    await w.app.deps.instanceActions.stop(userId);
    await setSubscription(userId, { status: 'active', suspendedAt: null });
    await w.app.deps.instanceActions.resume(userId);
    await w.app.deps.instances.reconcile();
    expect((await instanceOf(w.tdb.db, userId))!).toMatchObject({ status: 'stopped', stopReason: 'user' });
  });

  it('leaves the instance of a user reactivated since the suspension alone', async () => {
    const { id: userId } = await makeUser(w.tdb.db);
    await w.tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'canceled', suspendedAt: clock.now() });
    await w.app.deps.instances.start(userId);
    // a payment lands between the cron's suspension and its stop/destroy calls
    await setSubscription(userId, { status: 'active', suspendedAt: null });
    await w.app.deps.instanceActions.stop(userId);
    await w.app.deps.instanceActions.destroy(userId);
    const row = (await instanceOf(w.tdb.db, userId))!;
    expect(row.status).toBe('running');
    expect(w.emulator.machines.get(row.machineId!)!.state).toBe('started');
  });
});
