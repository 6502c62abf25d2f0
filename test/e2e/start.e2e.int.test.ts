// `npm start` as a new user meets it: it comes up on embedded defaults with a demo login, keeps its
// data across restarts, refuses a second server on the same data, and stops cleanly.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@/platform/free-port';
import { DEMO_ACCOUNT } from '@/server/demo-account';
import { signIn, trpcClient, uniqueEmail } from '../harness/client';
import { type RunningSystem, startSystem, startSystemProcess } from '../harness/system';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-start-'));
const running: RunningSystem[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start on embedded defaults', () => {
  it('serves the app with a working demo login, keeps data across a restart, and stops cleanly', {
    timeout: 480_000,
  }, async () => {
    const first = await startSystem({ dataDir });
    running.push(first);
    expect(first.output()).toContain(`Demo login: ${DEMO_ACCOUNT.email} / ${DEMO_ACCOUNT.password}`);
    expect((await fetch(`${first.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${first.url}/`)).status).toBe(200);

    // security headers on a page and an API response, as Next serves them
    for (const res of [await fetch(`${first.url}/`), await fetch(`${first.url}/api/health`)]) {
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(res.headers.get('strict-transport-security')).toBeNull(); // development
    }
    // the printed URL is http://localhost:<port>; a person opening http://127.0.0.1:<port> can sign up too
    const alias = first.url.replace('localhost', '127.0.0.1');
    const aliasSignUp = await fetch(`${alias}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: alias, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ email: uniqueEmail('alias'), password: 'a-long-password', name: 'Alias' }),
    });
    expect(aliasSignUp.status).toBe(200);

    const login = await signIn(first.url, DEMO_ACCOUNT.email, DEMO_ACCOUNT.password);
    expect(login.res.status).toBe(200);
    const client = trpcClient(first.url, login.cookie);
    // a form on another site cannot start the demo user's trial
    const forged = await fetch(`${first.url}/api/trpc/kiloclaw.startTrial`, {
      method: 'POST',
      headers: { cookie: login.cookie, 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
      body: '{}',
    });
    expect(forged.status).toBe(403);
    expect((await client.kiloclaw.getBillingStatus.query()).trialAvailable).toBe(true);
    const before = await client.kiloclaw.getBillingStatus.query();
    if (before.trialAvailable) await client.kiloclaw.startTrial.mutate();

    // a second server on the same data directory is refused with a message naming the cause
    const port = await freePort();
    const second = startSystemProcess({ dataDir, port });
    const secondCode = await second.exited;
    expect(secondCode).not.toBe(0);
    expect(second.output()).toMatch(/in use by another PostgreSQL server/);

    expect(await first.stop()).toBe(0);
    running.pop();
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const again = await startSystem({ dataDir });
    running.push(again);
    const relogin = await signIn(again.url, DEMO_ACCOUNT.email, DEMO_ACCOUNT.password);
    expect(relogin.res.status).toBe(200);
    const after = await trpcClient(again.url, relogin.cookie).kiloclaw.getBillingStatus.query();
    expect(after.status).toBe('trialing');
    expect(after.trialEndsAt).toBeInstanceOf(Date);
  });
});
