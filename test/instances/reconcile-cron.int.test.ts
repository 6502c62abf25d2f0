// POST /api/cron/reconcile-instances over real HTTP, and billing's InstanceActions port wired to
// the real lifecycle (Fly emulator, PostgreSQL).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawSubscriptions } from '@/db/schema';
import type { FlyEmulator } from '@/emulators/fly/server';
import type { MachineProvider } from '@/instances/providers/provider';
import { fixedClock } from '@/platform/clock';
import { TEST_SECRETS, type TestApp } from '../harness/app';
import { createTestDb, type TestDb } from '../harness/db';
import { eventually } from '../harness/eventually';
import { flyWithEmulator, instanceOf, startAppWith } from '../harness/instances';
import { makeUser } from '../harness/users';

const clock = fixedClock('2026-11-28T12:00:00Z');
let tdb: TestDb;
let emulator: FlyEmulator;
let provider: MachineProvider;
let app: TestApp;

beforeAll(async () => {
  tdb = await createTestDb();
  ({ emulator, provider } = await flyWithEmulator());
  app = await startAppWith({ db: tdb.db, clock, provider });
});
afterAll(async () => {
  await app?.close();
  await emulator?.close();
  await tdb?.close();
});

const cron = (headers: Record<string, string> = {}, method = 'POST') =>
  fetch(`${app.url}/api/cron/reconcile-instances`, { method, headers });

describe('POST /api/cron/reconcile-instances', () => {
  it('answers 401 without the bearer secret (POST or Vercel Cron’s GET) and 405 to other methods, and changes nothing', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await app.deps.instances.start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    emulator.machines.get(row.machineId!)!.state = 'destroyed';

    const denied = await cron({ authorization: 'Bearer wrong-secret-wrong-secret' });
    expect(denied.status).toBe(401);
    expect((await denied.json()).error).toMatch(/CRON_SECRET/);
    expect((await cron({}, 'GET')).status).toBe(401);
    expect((await cron({ authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` }, 'PUT')).status).toBe(405);
    expect((await instanceOf(tdb.db, userId))!.status).toBe('running');
  });

  it('reconciles: a running instance whose machine is gone becomes stopped', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await app.deps.instances.start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    emulator.machines.get(row.machineId!)!.state = 'destroyed';

    const res = await cron({ authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ ok: true });
    expect(body.passes.running_check.actioned).toBeGreaterThanOrEqual(1);
    expect((await instanceOf(tdb.db, userId))!.status).toBe('stopped');
  });

  it('stops the running instance of a suspended user whose stop the billing cron could not make', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await app.deps.instances.start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    expect(row.status).toBe('running');
    // suspended, but the cron's stop call never reached the instance
    await tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'canceled', suspendedAt: clock.now() });

    const res = await cron({ authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` });
    expect(res.status).toBe(200);
    expect((await res.json()).passes.suspended_stop.actioned).toBeGreaterThanOrEqual(1);
    expect((await instanceOf(tdb.db, userId))!.status).toBe('stopped');
    expect(emulator.machines.get(row.machineId!)!.state).toBe('stopped');
  });
});

describe("billing's InstanceActions port", () => {
  it('stops, resumes and destroys the real instance, and ignores users without one', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'canceled', suspendedAt: clock.now() });
    const actions = app.deps.instanceActions;
    await actions.stop(userId); // no instance yet: a no-op
    await tdb.db.transaction((tx) => actions.markForDestruction([userId], tx));
    expect(await actions.destroy(userId)).toBe(true); // nothing to destroy
    expect(await actions.withInstance([userId])).toEqual(new Set());
    await actions.resume(userId);
    expect(await instanceOf(tdb.db, userId)).toBeNull();

    await app.deps.instances.start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    await actions.stop(userId);
    expect((await instanceOf(tdb.db, userId))!.status).toBe('stopped');
    expect(emulator.machines.get(row.machineId!)!.state).toBe('stopped');

    // a payment reactivates the user (the webhook clears the suspension, then resumes)
    await tdb.db
      .update(kiloclawSubscriptions)
      .set({ status: 'active', suspendedAt: null })
      .where(eq(kiloclawSubscriptions.userId, userId));
    await actions.resume(userId); // answers at once; the reconciler finishes the start
    expect((await instanceOf(tdb.db, userId))!.status).toBe('starting');
    await eventually(async () => emulator.machines.get(row.machineId!)!.state === 'started', {
      timeoutMs: 5_000,
      what: 'the machine to start',
    });
    await app.deps.instances.reconcile();
    expect((await instanceOf(tdb.db, userId))!.status).toBe('running');

    await tdb.db
      .update(kiloclawSubscriptions)
      .set({ status: 'canceled', suspendedAt: clock.now() })
      .where(eq(kiloclawSubscriptions.userId, userId));
    // an instance not marked for destruction is never destroyed
    expect(await actions.destroy(userId)).toBe(false);
    expect((await instanceOf(tdb.db, userId))!.status).toBe('running');
    // the destruction sweep's claim marks it in billing's transaction, then asks for the destroy
    await tdb.db.transaction((tx) => actions.markForDestruction([userId], tx));
    expect((await instanceOf(tdb.db, userId))!.status).toBe('destroying');
    expect(await actions.destroy(userId)).toBe(true);
    expect(await instanceOf(tdb.db, userId)).toBeNull();
    expect(emulator.machines.get(row.machineId!)!.state).toBe('destroyed');
  });

  it('starts again an instance billing stopped once the user has paid, when the resume never came', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'canceled', suspendedAt: clock.now() });
    await app.deps.instances.start(userId);
    await app.deps.instanceActions.stop(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    expect(row).toMatchObject({ status: 'stopped', stopReason: 'suspension' });
    // the payment is recorded, but the webhook's resume call is lost
    await tdb.db
      .update(kiloclawSubscriptions)
      .set({ status: 'active', suspendedAt: null })
      .where(eq(kiloclawSubscriptions.userId, userId));

    const res = await cron({ authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` });
    expect((await res.json()).passes.reactivated_resume.actioned).toBe(1);
    expect((await instanceOf(tdb.db, userId))!.status).toBe('starting');
    await eventually(async () => emulator.machines.get(row.machineId!)!.state === 'started', {
      timeoutMs: 5_000,
      what: 'the machine to start',
    });
    await app.deps.instances.reconcile();
    expect((await instanceOf(tdb.db, userId))!.status).toBe('running');
  });

  it('never starts an instance the user stopped themselves, on reactivation or by the reconciler', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'active' });
    await app.deps.instances.start(userId);
    await app.deps.instances.stop(userId); // the customer's own choice
    // later suspended (already stopped) and then reactivated
    await tdb.db
      .update(kiloclawSubscriptions)
      .set({ status: 'canceled', suspendedAt: clock.now() })
      .where(eq(kiloclawSubscriptions.userId, userId));
    await app.deps.instanceActions.stop(userId);
    await tdb.db
      .update(kiloclawSubscriptions)
      .set({ status: 'active', suspendedAt: null })
      .where(eq(kiloclawSubscriptions.userId, userId));
    await app.deps.instanceActions.resume(userId);
    await app.deps.instances.reconcile();
    expect((await instanceOf(tdb.db, userId))!).toMatchObject({ status: 'stopped', stopReason: 'user' });
  });

  it('leaves the instance of a user reactivated since the suspension alone', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await tdb.db.insert(kiloclawSubscriptions).values({ userId, status: 'canceled', suspendedAt: clock.now() });
    await app.deps.instances.start(userId);
    // a payment lands between the cron's suspension and its stop/destroy calls
    await tdb.db
      .update(kiloclawSubscriptions)
      .set({ status: 'active', suspendedAt: null })
      .where(eq(kiloclawSubscriptions.userId, userId));
    await app.deps.instanceActions.stop(userId);
    await app.deps.instanceActions.destroy(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    expect(row.status).toBe('running');
    expect(emulator.machines.get(row.machineId!)!.state).toBe('started');
  });
});
