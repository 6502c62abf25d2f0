// Two reconcile runs at once (two replicas' schedulers, or the in-process one and an external one):
// every instance is handled once, the provider sees each action once, and the summaries add up.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawInstances, kiloclawSubscriptions } from '@/db/schema';
import type { FlyEmulator } from '@/emulators/fly/server';
import type { MachineProvider } from '@/instances/providers/provider';
import { fixedClock } from '@/platform/clock';
import { TEST_SECRETS, type TestApp } from '../harness/app';
import { createTestDb, type TestDb } from '../harness/db';
import { flyWithEmulator, instanceOf, startAppWith } from '../harness/instances';
import { makeUser } from '../harness/users';

const clock = fixedClock('2026-11-28T12:00:00Z');
const EACH = 6; // instances per kind of repair
let tdb: TestDb;
let emulator: FlyEmulator;
let provider: MachineProvider;
let replicas: TestApp[];

beforeAll(async () => {
  tdb = await createTestDb();
  ({ emulator, provider } = await flyWithEmulator());
  replicas = [await startAppWith({ db: tdb.db, clock, provider }), await startAppWith({ db: tdb.db, clock, provider })];
});
afterAll(async () => {
  for (const app of replicas ?? []) await app.close();
  await emulator?.close();
  await tdb?.close();
});

async function runningInstance() {
  const { id: userId } = await makeUser(tdb.db);
  await replicas[0]!.deps.instances.start(userId);
  const row = (await instanceOf(tdb.db, userId))!;
  expect(row.status).toBe('running');
  return { userId, machineId: row.machineId!, volumeId: row.volumeId! };
}

const setInstance = (userId: string, values: Partial<typeof kiloclawInstances.$inferInsert>) =>
  tdb.db.update(kiloclawInstances).set(values).where(eq(kiloclawInstances.userId, userId));

type Summary = {
  skipped: boolean;
  ok?: boolean;
  errorCount?: number;
  passes?: Record<string, { actioned: number }>;
};

describe('two concurrent reconcile runs', () => {
  it('handle each instance once, make each provider call once, and report sane summaries', async () => {
    // running while suspended (stop), pending destroys (destroy), and failed machine stops (stop again)
    const suspended = [];
    const destroying = [];
    const failedStops = [];
    for (let i = 0; i < EACH; i++) {
      const s = await runningInstance();
      await tdb.db
        .insert(kiloclawSubscriptions)
        .values({ userId: s.userId, status: 'canceled', suspendedAt: clock.now() });
      suspended.push(s);
      const d = await runningInstance();
      await setInstance(d.userId, { status: 'destroying', destroyRequestedAt: clock.now() });
      destroying.push(d);
      const f = await runningInstance();
      await setInstance(f.userId, { status: 'stopped', lastError: 'stop failed: network' });
      failedStops.push(f);
    }
    emulator.calls.length = 0;

    const call = (app: TestApp) =>
      fetch(`${app.url}/api/cron/reconcile-instances`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` },
      });
    const responses = await Promise.all([call(replicas[0]!), call(replicas[1]!)]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    const summaries = (await Promise.all(responses.map((r) => r.json()))) as Summary[];

    const ran = summaries.filter((s) => !s.skipped);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    for (const s of ran) expect(s).toMatchObject({ ok: true, errorCount: 0 });
    const total = (pass: string) => ran.reduce((n, s) => n + (s.passes?.[pass]?.actioned ?? 0), 0);
    expect(total('suspended_stop')).toBe(EACH);
    expect(total('destroy_retry')).toBe(EACH);
    expect(total('stop_retry')).toBe(EACH);

    const count = (call: string) => emulator.calls.filter((c) => c === call).length;
    for (const s of [...suspended, ...failedStops]) {
      expect(count(`POST /machines/${s.machineId}/stop`)).toBe(1);
      expect((await instanceOf(tdb.db, s.userId))!).toMatchObject({ status: 'stopped' });
      expect(emulator.machines.get(s.machineId)!.state).toBe('stopped');
    }
    for (const d of destroying) {
      expect(count(`DELETE /machines/${d.machineId}`)).toBe(1);
      expect(count(`DELETE /volumes/${d.volumeId}`)).toBe(1);
      expect(await instanceOf(tdb.db, d.userId)).toBeNull();
    }
  });
});
