// What a customer reads about their instance's last problem, over real HTTP with the Fly emulator:
// our own sentence. The provider's raw answer stays in the row and the log for the operator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../harness/client';
import { type FlyWorld, grantAccess, instanceOf, startFlyWorld } from '../harness/instances';

let w: FlyWorld;
beforeAll(async () => {
  w = await startFlyWorld();
});
afterAll(async () => {
  await w?.close();
});

describe('the instance status a customer sees', () => {
  it('says the machine could not be started, without the Fly API answer it failed with', async () => {
    const u = await signUp(w.app.url);
    await grantAccess(w.tdb.db, u.id);
    w.emulator.behaviour.apiFailure = 500;
    try {
      await expect(u.trpc.kiloclaw.startInstance.mutate()).rejects.toThrow(/could not be started/);
    } finally {
      w.emulator.behaviour.apiFailure = null;
    }
    const res = await fetch(`${w.app.url}/api/trpc/kiloclaw.getInstanceStatus`, { headers: { cookie: u.cookie } });
    const text = await res.text();
    expect(text).toContain('The machine could not be started.');
    expect(text).not.toMatch(/emulated outage|500|machines\.dev|127\.0\.0\.1/);
    expect((await instanceOf(w.tdb.db, u.id))!.lastError).toMatch(/emulated outage|500/); // kept for the operator
  });
});
