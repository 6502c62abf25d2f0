import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSessions, users } from '@/db/schema';
import { type AppWorld, startAppWorld } from './harness/app';
import { signIn, signUp, trpcClient, uniqueEmail } from './harness/client';

let w: AppWorld;
beforeAll(async () => {
  w = await startAppWorld();
});
afterAll(async () => {
  await w?.close();
});

describe('accounts over HTTP', () => {
  it('signs up, stores the session in PostgreSQL and sets an httpOnly cookie', async () => {
    const email = uniqueEmail('signup');
    const res = await fetch(`${w.app.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: w.app.url },
      body: JSON.stringify({ email, password: 'a-long-password', name: 'Ada' }),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('better-auth.session_token='));
    expect(cookie).toMatch(/HttpOnly/i);
    const [user] = await w.tdb.db.select().from(users).where(eq(users.email, email));
    expect(user?.name).toBe('Ada');
    const sessions = await w.tdb.db.select().from(authSessions).where(eq(authSessions.userId, user!.id));
    expect(sessions).toHaveLength(1);
  });

  it('never stores the password in clear', async () => {
    const u = await signUp(w.app.url, { password: 'plain-text-never-stored' });
    const rows = await w.tdb.sql`select password from auth_accounts where user_id = ${u.id}`;
    expect(rows[0]?.password).toBeTruthy();
    expect(rows[0]?.password).not.toContain('plain-text-never-stored');
  });

  it('signs in with the right password and refuses a wrong one', async () => {
    const u = await signUp(w.app.url, { password: 'right-password-1' });
    const ok = await signIn(w.app.url, u.email, 'right-password-1');
    expect(ok.res.status).toBe(200);
    const status = await trpcClient(w.app.url, ok.cookie).kiloclaw.getBillingStatus.query();
    expect(status.status).toBe('none');

    const bad = await signIn(w.app.url, u.email, 'wrong-password-1');
    expect(bad.res.status).toBe(401);
    expect(bad.cookie).toBe('');
  });

  it('refuses a second account with the same email, and a short password', async () => {
    const u = await signUp(w.app.url);
    const again = await fetch(`${w.app.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: w.app.url },
      body: JSON.stringify({ email: u.email, password: 'another-password', name: 'Twin' }),
    });
    expect(again.status).toBe(422);
    const short = await fetch(`${w.app.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: w.app.url },
      body: JSON.stringify({ email: uniqueEmail(), password: 'short', name: 'Shorty' }),
    });
    expect(short.status).toBe(400);
    expect((await short.json()).message).toMatch(/password/i);
  });

  it('signs out: the cookie stops working and the session row is gone', async () => {
    const u = await signUp(w.app.url);
    const out = await fetch(`${w.app.url}/api/auth/sign-out`, {
      method: 'POST',
      headers: { cookie: u.cookie, origin: w.app.url, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(out.status).toBe(200);
    const res = await fetch(`${w.app.url}/api/trpc/kiloclaw.getBillingStatus`, { headers: { cookie: u.cookie } });
    expect(res.status).toBe(401);
    const sessions = await w.tdb.db.select().from(authSessions).where(eq(authSessions.userId, u.id));
    expect(sessions).toHaveLength(0);
  });
});
