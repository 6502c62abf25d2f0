// Sign-up abuse: a free trial or an instance waits for a confirmed email address (paying does not).
// Mail goes through the real mailer to a real SMTP server on loopback; in development the same mails
// are readable without SMTP (log line, /dev/mail), never in production.
import { Writable } from 'node:stream';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '@/db/schema';
import { loadConfig } from '@/platform/config';
import { createLogger } from '@/platform/logger';
import { createLogMailer } from '@/platform/mailer';
import { ACCOUNT_LIMITS } from '@/server/account-input';
import { createAppDeps } from '@/server/app-deps';
import { createAuth } from '@/server/auth';
import { DEMO_ACCOUNT, ensureDemoAccount } from '@/server/demo-account';
import { verifyEmailMessage } from '@/server/emails/verify-email';
import { createAppHandlers } from '@/server/http/app-handlers';
import { EMAIL_UNVERIFIED_MESSAGE } from '@/server/trpc';
import { startTestApp, TEST_SECRETS, type TestApp } from '../harness/app';
import { signIn, signUp, trpcClient, trpcError, uniqueEmail } from '../harness/client';
import { createTestDb, type TestDb } from '../harness/db';
import { type SmtpSink, startSmtpSink } from '../harness/smtp-sink';

let tdb: TestDb;
let app: TestApp;
let sink: SmtpSink;
beforeAll(async () => {
  tdb = await createTestDb();
  sink = await startSmtpSink();
  app = await startTestApp({ db: tdb.db, env: { SMTP_URL: sink.url } });
});
afterAll(async () => {
  await app?.close();
  await app?.deps.mailer.close();
  await sink?.close();
  await tdb?.close();
});

const LINK = /https?:\/\/\S+\/api\/auth\/verify-email\?\S+/;

/** The confirmation link of the newest mail the SMTP server accepted for `email`. */
async function linkFromSmtp(email: string, mails = 1): Promise<string> {
  for (let i = 0; i < 100 && sink.to(email).length < mails; i++) await new Promise((r) => setTimeout(r, 50));
  const got = sink.to(email);
  expect(got).toHaveLength(mails);
  const link = got.at(-1)!.text.match(LINK)?.[0];
  expect(link).toBeDefined();
  return link!;
}

function authPost(path: string, cookie: string, body: unknown) {
  return fetch(`${app.url}/api/auth${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: app.url, cookie },
    body: JSON.stringify(body),
  });
}

const userCount = async () => (await tdb.db.select({ n: count() }).from(users))[0]!.n;

describe('email verification', () => {
  it('mails a confirmation link at sign-up and keeps the trial and the instance closed until it is opened', async () => {
    const u = await signUp(app.url, { verified: false, name: 'Ada' });
    const mail = sink.to(u.email);
    const link = await linkFromSmtp(u.email);
    expect(mail[0]!.subject).toBe('Confirm your email address for KiloClaw');
    expect(mail[0]!.text).toContain('Hi Ada,');

    // signed in and able to look at billing (and pay), but no free trial and no instance yet
    await expect(u.trpc.kiloclaw.getBillingStatus.query()).resolves.toMatchObject({ status: 'none' });
    const trial = await trpcError(u.trpc.kiloclaw.startTrial.mutate());
    expect(trial.data?.code).toBe('FORBIDDEN');
    expect((trial.data as { reason?: string }).reason).toBe('email_unverified');
    expect(trial.message).toBe(EMAIL_UNVERIFIED_MESSAGE);
    const instance = await trpcError(u.trpc.kiloclaw.getInstanceStatus.query());
    expect((instance.data as { reason?: string }).reason).toBe('email_unverified');

    const opened = await fetch(link, { redirect: 'manual' });
    expect(opened.status).toBe(302);
    const [row] = await tdb.db.select().from(users).where(eq(users.id, u.id));
    expect(row?.emailVerified).toBe(true);
    await expect(u.trpc.kiloclaw.startTrial.mutate()).resolves.toMatchObject({ trialEndsAt: expect.any(Date) });
  });

  it('sends the link again on request', async () => {
    const u = await signUp(app.url, { verified: false });
    await linkFromSmtp(u.email, 1);
    const res = await authPost('/send-verification-email', u.cookie, { email: u.email, callbackURL: '/billing' });
    expect(res.status).toBe(200);
    const second = await linkFromSmtp(u.email, 2);
    expect((await fetch(second, { redirect: 'manual' })).headers.get('location')).toBe('/billing');
  });

  it('lets a person fix a mistyped address before confirming, and confirms the new one', async () => {
    const u = await signUp(app.url, { verified: false });
    const right = uniqueEmail('fixed');
    const res = await authPost('/change-email', u.cookie, { newEmail: right, callbackURL: '/billing' });
    expect(res.status).toBe(200);
    const [moved] = await tdb.db.select().from(users).where(eq(users.id, u.id));
    expect(moved?.email).toBe(right);
    expect(moved?.emailVerified).toBe(false);
    const link = await linkFromSmtp(right);
    await fetch(link, { redirect: 'manual' });
    const [confirmed] = await tdb.db.select().from(users).where(eq(users.id, u.id));
    expect(confirmed?.emailVerified).toBe(true);
  });

  it('keeps the mails readable in development at /api/dev/mail, newest first', async () => {
    const u = await signUp(app.url, { verified: false });
    const res = await fetch(`${app.url}/api/dev/mail?to=${encodeURIComponent(u.email.toUpperCase())}`);
    expect(res.status).toBe(200);
    const { mails } = (await res.json()) as { mails: Array<{ to: string; subject: string; text: string }> };
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toMatch(LINK);
  });

  it('prints the link in the log when no SMTP server is configured (development)', async () => {
    let logged = '';
    const destination = new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    });
    const mailer = createLogMailer(createLogger({ level: 'info', destination }));
    await mailer.send(
      verifyEmailMessage({ email: 'ada@example.test', name: 'Ada' }, 'http://x.test/api/auth/verify-email?token=t'),
    );
    expect(logged).toContain('Confirm your email address: http://x.test/api/auth/verify-email?token=t');
  });

  it('has no mail page in production', async () => {
    const config = loadConfig({
      ...TEST_SECRETS,
      APP_ENV: 'production',
      LOG_LEVEL: 'silent',
      APP_URL: 'https://kiloclaw.example',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:1/none',
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      SMTP_URL: sink.url,
      MACHINE_PROVIDER: 'fly',
      FLY_API_TOKEN: 'fly-token',
      FLY_INSTANCES_APP: 'kiloclaw-test',
      FLY_IMAGE: 'registry.example/kiloclaw:1',
      CHANNEL_TOKEN_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    });
    const deps = createAppDeps({ config, db: tdb.db });
    expect(deps.devOutbox).toBeNull();
    const res = await createAppHandlers(deps).devMail(new Request('https://kiloclaw.example/api/dev/mail'));
    expect(res.status).toBe(404);
    await deps.mailer.close();
  });

  it('seeds the demo account confirmed, and confirms a demo account left unconfirmed by an older boot', async () => {
    const auth = createAuth({ db: tdb.db, secret: TEST_SECRETS.AUTH_SECRET, baseURL: app.url, production: false });
    expect(await ensureDemoAccount(tdb.db, auth)).toBe('created');
    const demo = () => tdb.db.select().from(users).where(eq(users.email, DEMO_ACCOUNT.email));
    expect((await demo())[0]?.emailVerified).toBe(true);
    await tdb.db.update(users).set({ emailVerified: false }).where(eq(users.email, DEMO_ACCOUNT.email));
    expect(await ensureDemoAccount(tdb.db, auth)).toBe('exists');
    expect((await demo())[0]?.emailVerified).toBe(true);
  });
});

describe('account input caps', () => {
  const signUpBody = (body: Record<string, string>) =>
    fetch(`${app.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.url },
      body: JSON.stringify({ password: 'a-long-password', ...body }),
    });

  it(`refuses a name over ${ACCOUNT_LIMITS.nameChars} characters with a message, and writes nothing`, async () => {
    const before = await userCount();
    const res = await signUpBody({ email: uniqueEmail('long'), name: 'n'.repeat(ACCOUNT_LIMITS.nameChars + 1) });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe(
      `Your name is too long: use at most ${ACCOUNT_LIMITS.nameChars} characters.`,
    );
    expect(await userCount()).toBe(before);
    const ok = await signUpBody({ email: uniqueEmail('max'), name: 'n'.repeat(ACCOUNT_LIMITS.nameChars) });
    expect(ok.status).toBe(200);
  });

  it(`refuses an email over ${ACCOUNT_LIMITS.emailChars} characters, at sign-up and on a change of address`, async () => {
    const long = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.test`;
    expect(long.length).toBeGreaterThan(ACCOUNT_LIMITS.emailChars);
    const res = await signUpBody({ email: long, name: 'Long' });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/email address is too long/);
    const u = await signUp(app.url, { verified: false });
    const change = await authPost('/change-email', u.cookie, { newEmail: long });
    expect(change.status).toBe(400);
    const tooLongName = await authPost('/update-user', u.cookie, { name: 'n'.repeat(ACCOUNT_LIMITS.nameChars + 1) });
    expect(tooLongName.status).toBe(400);
  });

  it('stores an email in lower case and signs in whatever the case typed', async () => {
    const mixed = uniqueEmail('MiXeD').replace('@example.test', '@Example.TEST');
    const u = await signUp(app.url, { email: mixed, password: 'case-password-1', verified: false });
    const [row] = await tdb.db.select().from(users).where(eq(users.id, u.id));
    expect(row?.email).toBe(mixed.toLowerCase());
    const again = await signUpBody({ email: mixed.toLowerCase(), name: 'Twin' });
    expect(again.status).toBe(422);
    const { res, cookie } = await signIn(app.url, mixed.toUpperCase(), 'case-password-1');
    expect(res.status).toBe(200);
    await expect(trpcClient(app.url, cookie).kiloclaw.getBillingStatus.query()).resolves.toBeDefined();
  });
});
