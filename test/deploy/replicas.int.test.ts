// Scale-out as deployed: two app processes (`npm start`'s program, each its own Node process with its
// own pool) on one PostgreSQL, instances on Fly (its emulator). A user starts an instance through one
// replica and approves and stops through the other; both replicas' cron endpoints fired at the same
// instant (one as our scheduler calls, POST; one as Vercel Cron calls, GET) have each effect once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawInstances, kiloclawSubscriptions } from '@/db/schema';
import { type FlyEmulator, startFlyEmulator } from '@/emulators/fly/server';
import { TEST_SECRETS } from '../harness/app';
import { signUp, type TestUser, trpcClient } from '../harness/client';
import { createTestDb, type TestDb } from '../harness/db';
import { FLY_APP, grantAccess, instanceOf } from '../harness/instances';
import { type SmtpSink, startSmtpSink } from '../harness/smtp-sink';
import { type RunningSystem, startSystem } from '../harness/system';

const START_MS = 480_000; // two servers (and a web build when sources changed) on a busy 2-core machine
const DAY_MS = 86_400_000;

let tdb: TestDb;
let emulator: FlyEmulator;
let sink: SmtpSink;
let dataDir: string;
let a: RunningSystem;
let b: RunningSystem;

beforeAll(async () => {
  tdb = await createTestDb();
  emulator = await startFlyEmulator({ appName: FLY_APP });
  sink = await startSmtpSink();
  dataDir = mkdtempSync(join(tmpdir(), 'kiloclaw-replicas-'));
  const env = {
    ...TEST_SECRETS,
    DATABASE_URL: tdb.url,
    DEMO_ACCOUNT: 'false',
    SCHEDULER: 'false', // the crons are fired by the test, at once on both
    SMTP_URL: sink.url,
    MACHINE_PROVIDER: 'fly',
    FLY_API_TOKEN: emulator.token,
    FLY_API_BASE: emulator.url,
    FLY_INSTANCES_APP: FLY_APP,
    FLY_IMAGE: 'registry.fly.io/kiloclaw-instances:test',
    FLY_CONTROLLER_URL: emulator.controllerUrlTemplate,
  };
  // one after the other: the second waits for nothing but its own start (the web build is shared)
  a = await startSystem({ dataDir: join(dataDir, 'a'), env, readyTimeoutMs: START_MS });
  b = await startSystem({ dataDir: join(dataDir, 'b'), env, readyTimeoutMs: START_MS });
}, 2 * START_MS);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await emulator?.close();
  await sink?.close();
  await tdb?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 90_000);

const on = (replica: RunningSystem, user: TestUser) => trpcClient(replica.url, user.cookie);
const machineOf = async (userId: string) => emulator.machines.get((await instanceOf(tdb.db, userId))!.machineId!)!;

describe('two app replicas on one database', () => {
  it('starts on one replica, then approves and stops on the other', async () => {
    const user = await signUp(a.url);
    await grantAccess(tdb.db, user.id);
    expect((await on(a, user).kiloclaw.startInstance.mutate()).status).toBe('running');
    const machine = await machineOf(user.id);

    const code = machine.image.addChannelRequest('telegram', '4242');
    const listed = await on(b, user).kiloclaw.listChannelPairingRequests.query();
    expect(listed.requests.map((r) => r.code)).toEqual([code]);
    expect(await on(b, user).kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code })).toMatchObject(
      { success: true },
    );
    expect(machine.image.approvedSenders).toEqual(['telegram:4242']);

    expect((await on(b, user).kiloclaw.stopInstance.mutate()).status).toBe('stopped');
    expect(machine.state).toBe('stopped');
    expect(await on(a, user).kiloclaw.getInstanceStatus.query()).toMatchObject({ status: 'stopped' });
  });

  it('fires both replicas’ crons at once and gets each effect once', async () => {
    // a trial that lapsed with its instance running: suspend, stop the machine, tell the user — once
    const lapsed = await signUp(a.url);
    await grantAccess(tdb.db, lapsed.id);
    expect((await on(a, lapsed).kiloclaw.startInstance.mutate()).status).toBe('running');
    await tdb.db
      .update(kiloclawSubscriptions)
      .set({
        status: 'trialing',
        plan: null,
        trialStartedAt: new Date(Date.now() - 8 * DAY_MS),
        trialEndsAt: new Date(Date.now() - DAY_MS),
      })
      .where(eq(kiloclawSubscriptions.userId, lapsed.id));
    const lapsedMachine = await machineOf(lapsed.id);

    // a running instance whose machine Fly stopped behind our back: the reconciler marks it stopped — once
    const lost = await signUp(b.url);
    await grantAccess(tdb.db, lost.id);
    expect((await on(b, lost).kiloclaw.startInstance.mutate()).status).toBe('running');
    (await machineOf(lost.id)).state = 'stopped';

    const callsBefore = emulator.calls.length;
    const fireOnBoth = async (path: string) => {
      const call = (replica: RunningSystem, method: 'GET' | 'POST') =>
        fetch(`${replica.url}${path}`, { method, headers: { authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` } });
      const answers = await Promise.all([call(a, 'POST'), call(b, 'GET')]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      return Promise.all(answers.map((r) => r.json()));
    };
    const [lifeA, lifeB] = await fireOnBoth('/api/cron/billing-lifecycle');
    const [recA, recB] = await fireOnBoth('/api/cron/reconcile-instances');

    // billing: one run did the work (the other was skipped or found nothing left)
    expect([lifeA, lifeB].filter((s) => s.skipped === false).length).toBeGreaterThanOrEqual(1);
    // (the address-confirmation mail of the sign-up is not the cron's)
    const lifecycleMails = sink.to(lapsed.email).filter((m) => !m.subject.startsWith('Confirm your email'));
    expect(lifecycleMails.map((m) => m.subject)).toEqual(['Your KiloClaw trial has ended']);
    const [sub] = await tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, lapsed.id));
    expect(sub?.suspendedAt).not.toBeNull();
    const stops = emulator.calls.slice(callsBefore).filter((c) => c === `POST /machines/${lapsedMachine.id}/stop`);
    expect(stops).toHaveLength(1);
    expect(lapsedMachine.state).toBe('stopped');

    // reconcile: one run marks the lost machine's row stopped (the other is skipped or finds it done)
    expect([recA, recB].filter((r) => r.skipped === false).length).toBeGreaterThanOrEqual(1);
    const lostMarked = [recA, recB].map((r) => r.passes?.running_check?.actioned ?? 0);
    expect(lostMarked.reduce((x, y) => x + y, 0)).toBe(1);
    const [lostRow] = await tdb.db.select().from(kiloclawInstances).where(eq(kiloclawInstances.userId, lost.id));
    expect(lostRow?.status).toBe('stopped');
  });
});
