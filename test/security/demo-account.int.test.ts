// The demo login's password is public. A demo user left by a development boot on a database that is
// now production's is disabled at start-up: its sessions stop working and its password is gone.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSessions, users } from '@/db/schema';
import { DEMO_ACCOUNT, disableDemoAccount, ensureDemoAccount } from '@/server/demo-account';
import { type AppWorld, startAppWorld } from '../harness/app';
import { signIn } from '../harness/client';

let w: AppWorld;
beforeAll(async () => {
  w = await startAppWorld();
});
afterAll(async () => {
  await w?.close();
});

describe('the demo account on a production start', () => {
  it('has nothing to disable on a database that never had it', async () => {
    expect(await disableDemoAccount(w.tdb.db)).toBe('absent');
  });

  it('revokes its sessions and refuses its password from then on, keeping the user row', async () => {
    expect(await ensureDemoAccount(w.tdb.db, w.app.deps.auth)).toBe('created');
    const before = await signIn(w.app.url, DEMO_ACCOUNT.email, DEMO_ACCOUNT.password);
    expect(before.res.status).toBe(200);
    const status = await fetch(`${w.app.url}/api/trpc/kiloclaw.getBillingStatus`, {
      headers: { cookie: before.cookie },
    });
    expect(status.status).toBe(200);

    expect(await disableDemoAccount(w.tdb.db)).toBe('disabled');

    const [demo] = await w.tdb.db.select().from(users).where(eq(users.email, DEMO_ACCOUNT.email));
    expect(demo).toBeDefined();
    expect(await w.tdb.db.select().from(authSessions).where(eq(authSessions.userId, demo!.id))).toEqual([]);
    const stale = await fetch(`${w.app.url}/api/trpc/kiloclaw.getBillingStatus`, {
      headers: { cookie: before.cookie },
    });
    expect(stale.status).toBe(401);
    expect((await signIn(w.app.url, DEMO_ACCOUNT.email, DEMO_ACCOUNT.password)).res.status).toBe(401);
    expect(await disableDemoAccount(w.tdb.db)).toBe('disabled'); // every start: still nothing to sign in with
  });
});
