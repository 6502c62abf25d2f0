// Cross-site request forgery against the real handlers over HTTP: a browser on another site can send
// a form (multipart/form-data, text/plain) with the victim's cookie. Such mutations answer 403 and
// write nothing; the app's own pages, and the loopback aliases of the development URL, go through.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawSubscriptions, users } from '@/db/schema';
import { type AppWorld, startAppWorld, startTestApp } from '../harness/app';
import { signUp, uniqueEmail } from '../harness/client';

let w: AppWorld;
beforeAll(async () => {
  w = await startAppWorld();
});
afterAll(async () => {
  await w?.close();
});

const subscriptionsOf = (userId: string) =>
  w.tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId));

function formPost(cookie: string, headers: Record<string, string>): Promise<Response> {
  const form = new FormData();
  form.set('anything', '1');
  return fetch(`${w.app.url}/api/trpc/kiloclaw.startTrial`, {
    method: 'POST',
    headers: { cookie, ...headers },
    body: form,
  });
}

describe('mutations from another site', () => {
  it('refuses a multipart form POST marked cross-site by the browser, and starts no trial', async () => {
    const u = await signUp(w.app.url);
    const res = await formPost(u.cookie, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toMatch(/another site/);
    expect(await subscriptionsOf(u.id)).toEqual([]);
  });

  it('refuses a text/plain POST from a foreign Origin (no Sec-Fetch-Site: an older browser)', async () => {
    const u = await signUp(w.app.url);
    const res = await fetch(`${w.app.url}/api/trpc/kiloclaw.startTrial`, {
      method: 'POST',
      headers: { cookie: u.cookie, 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    const same = await formPost(u.cookie, { 'sec-fetch-site': 'same-site' });
    expect(same.status).toBe(403); // a sibling subdomain is another site too
    expect(await subscriptionsOf(u.id)).toEqual([]);
  });

  it('lets the same request through from the app itself', async () => {
    const u = await signUp(w.app.url);
    const res = await fetch(`${w.app.url}/api/trpc/kiloclaw.startTrial`, {
      method: 'POST',
      headers: {
        cookie: u.cookie,
        'content-type': 'application/json',
        origin: w.app.url,
        'sec-fetch-site': 'same-origin',
      },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(await subscriptionsOf(u.id)).toHaveLength(1);
  });

  it('refuses a cross-site sign-up and creates no account', async () => {
    const email = uniqueEmail('csrf');
    const attempts: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of attempts) {
      const res = await fetch(`${w.app.url}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', ...headers },
        body: JSON.stringify({ email, password: 'a-long-password', name: 'Mallory' }),
      });
      expect(res.status).toBe(403);
    }
    expect(await w.tdb.db.select().from(users).where(eq(users.email, email))).toEqual([]);
  });
});

describe('the loopback aliases of the development URL', () => {
  it('signs up from http://localhost and http://[::1] when the app prints http://127.0.0.1', async () => {
    const port = new URL(w.app.url).port;
    for (const origin of [`http://localhost:${port}`, `http://[::1]:${port}`]) {
      const email = uniqueEmail('alias');
      const res = await fetch(`${w.app.url}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, 'sec-fetch-site': 'same-origin' },
        body: JSON.stringify({ email, password: 'a-long-password', name: 'Alias' }),
      });
      expect(res.status, origin).toBe(200);
    }
  });

  it('still refuses another port on the same host', async () => {
    const res = await fetch(`${w.app.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:1' },
      body: JSON.stringify({ email: uniqueEmail('port'), password: 'a-long-password', name: 'Port' }),
    });
    expect(res.status).toBe(403);
  });
});

describe('in production', () => {
  it('trusts APP_URL only: a loopback alias is another site there', async () => {
    const prod = await startTestApp({
      db: w.tdb.db,
      env: {
        APP_ENV: 'production',
        APP_URL: 'https://claw.example.test',
        DATABASE_URL: w.tdb.url,
        STRIPE_SECRET_KEY: 'sk_test_unused',
        STRIPE_WEBHOOK_SECRET: 'whsec_unused',
        SMTP_URL: 'smtp://127.0.0.1:1',
        CHANNEL_TOKEN_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
        MACHINE_PROVIDER: 'fly',
        FLY_API_TOKEN: 'unused',
        FLY_INSTANCES_APP: 'unused',
        FLY_IMAGE: 'unused',
      },
    });
    try {
      const port = new URL(prod.url).port;
      const signUpFrom = (origin: string) =>
        fetch(`${prod.url}/api/auth/sign-up/email`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin },
          body: JSON.stringify({ email: uniqueEmail('prod'), password: 'a-long-password', name: 'Prod' }),
        });
      for (const alias of [`http://127.0.0.1:${port}`, `http://localhost:${port}`])
        expect((await signUpFrom(alias)).status, alias).toBe(403);
      expect((await signUpFrom('https://claw.example.test')).status).toBe(200);
    } finally {
      await prod.close();
    }
  });
});
