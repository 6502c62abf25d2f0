// What a customer reads about their instance's last problem, over real HTTP with the Fly emulator:
// our own sentence. The provider's raw answer stays in the row and the log for the operator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlyEmulator } from '@/emulators/fly/server';
import type { TestApp } from '../harness/app';
import { signUp } from '../harness/client';
import { createTestDb, type TestDb } from '../harness/db';
import { flyWithEmulator, grantAccess, instanceOf, startAppWith } from '../harness/instances';

let tdb: TestDb;
let emulator: FlyEmulator;
let app: TestApp;
beforeAll(async () => {
  tdb = await createTestDb();
  const fly = await flyWithEmulator();
  emulator = fly.emulator;
  app = await startAppWith({ db: tdb.db, provider: fly.provider });
});
afterAll(async () => {
  await app?.close();
  await emulator?.close();
  await tdb?.close();
});

describe('the instance status a customer sees', () => {
  it('says the machine could not be started, without the Fly API answer it failed with', async () => {
    const u = await signUp(app.url);
    await grantAccess(tdb.db, u.id);
    emulator.behaviour.apiFailure = 500;
    try {
      await expect(u.trpc.kiloclaw.startInstance.mutate()).rejects.toThrow(/could not be started/);
    } finally {
      emulator.behaviour.apiFailure = null;
    }
    const res = await fetch(`${app.url}/api/trpc/kiloclaw.getInstanceStatus`, { headers: { cookie: u.cookie } });
    const text = await res.text();
    expect(text).toContain('The machine could not be started.');
    expect(text).not.toMatch(/emulated outage|500|machines\.dev|127\.0\.0\.1/);
    expect((await instanceOf(tdb.db, u.id))!.lastError).toMatch(/emulated outage|500/); // kept for the operator
  });
});
