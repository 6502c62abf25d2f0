// The billing states customers meet, in a real browser against the whole system (`npm start`'s
// script) — with its PostgreSQL and its Stripe emulator held by this test, so it can put an account
// into a state (a trial the cron suspended, a failed renewal) the way time and Stripe would.
// Screenshots go to test-artifacts/screenshots/billing-*.png for a person to look at.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_DENIAL_MESSAGES } from '@/billing/access';
import { kiloclawEarlybirdPurchases, kiloclawSubscriptions, users } from '@/db/schema';
import { type StripeEmulator, startStripeEmulator } from '@/emulators/stripe/server';
import { DAY_MS } from '@/platform/clock';
import { launchBrowser, signUpInBrowser } from '../harness/browser';
import { uniqueEmail } from '../harness/client';
import { createTestDb, type TestDb } from '../harness/db';
import { eventually } from '../harness/eventually';
import { type RunningSystem, startSystem } from '../harness/system';

const SHOTS = path.resolve(import.meta.dirname, '../../test-artifacts/screenshots');
const PASSWORD = 'correct-horse-battery';

let tdb: TestDb;
let emu: StripeEmulator;
let system: RunningSystem;
let browser: Browser;
let dataDir: string;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `billing-${name}.png`), fullPage: true });
}

async function newCustomer(): Promise<{ context: BrowserContext; page: Page; userId: string }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const email = uniqueEmail('billing');
  await signUpInBrowser(page, system.url, { name: 'Grace Hopper', email, password: PASSWORD });
  const [user] = await tdb.db.select({ id: users.id }).from(users).where(eq(users.email, email));
  return { context, page, userId: user!.id };
}

const rowOf = async (userId: string) =>
  (await tdb.db.select().from(kiloclawSubscriptions).where(eq(kiloclawSubscriptions.userId, userId)))[0];

/** Pays on the emulator's hosted checkout page and waits to be back on the billing page. */
async function payOnCheckout(page: Page): Promise<void> {
  await page.waitForURL((u) => !u.href.startsWith(system.url));
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.waitForURL('**/billing?checkout=success**');
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-billing-e2e-'));
  tdb = await createTestDb({ max: 3 });
  emu = await startStripeEmulator({ retryBackoffMs: 200 });
  system = await startSystem({
    dataDir,
    readyTimeoutMs: 540_000,
    env: {
      DATABASE_URL: tdb.url,
      STRIPE_SECRET_KEY: emu.secretKey,
      STRIPE_WEBHOOK_SECRET: emu.webhookSecret,
      STRIPE_API_BASE: emu.url,
      SCHEDULER: 'false',
      DEMO_ACCOUNT: 'false',
    },
  });
  emu.setWebhookUrl(`${system.url}/api/stripe/webhook`);
  browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
  await emu?.stop();
  await tdb?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
}, 120_000);

describe('billing in a real browser', () => {
  it('suspended after the trial: shows the way back, earlybird brings the assistant back at once', {
    timeout: 240_000,
  }, async () => {
    const { page, userId, context } = await newCustomer();
    await page.getByRole('button', { name: 'Start free trial' }).click();
    await page.getByText(/Your free trial has started/).waitFor();
    // the trial ended 2 days ago and the cron suspended the account
    const now = Date.now();
    await tdb.db
      .update(kiloclawSubscriptions)
      .set({
        trialEndsAt: new Date(now - 2 * DAY_MS),
        suspendedAt: new Date(now - 2 * DAY_MS),
        destructionDeadline: new Date(now + 5 * DAY_MS),
      })
      .where(eq(kiloclawSubscriptions.userId, userId));
    await page.reload();
    await page.getByText(ACCESS_DENIAL_MESSAGES.suspended).waitFor();
    await page.getByText(/will be deleted on/).waitFor();
    await page.getByText(/because your free trial ended/).waitFor();
    await expect(page.getByTestId('billing-status').textContent()).resolves.toBe('Trial ended');
    await page.getByRole('button', { name: 'Buy earlybird access' }).waitFor();
    await shot(page, '01-suspended');

    await page.getByRole('button', { name: 'Buy earlybird access' }).click();
    await payOnCheckout(page);
    await page.getByText('Thank you — your earlybird access is active.').waitFor({ timeout: 60_000 });
    await expect(page.getByText(ACCESS_DENIAL_MESSAGES.suspended).count()).resolves.toBe(0);
    await expect(page.getByText(/will be deleted on/).count()).resolves.toBe(0);
    await expect(page.getByTestId('billing-status').textContent()).resolves.toBe('Earlybird access');
    await shot(page, '02-earlybird-bought');
    expect(await rowOf(userId)).toMatchObject({ suspendedAt: null, destructionDeadline: null });

    // months later, the earlybird date is three days away
    await tdb.db
      .update(kiloclawEarlybirdPurchases)
      .set({ expiresAt: new Date(Date.now() + 3 * DAY_MS) })
      .where(eq(kiloclawEarlybirdPurchases.userId, userId));
    await page.goto(`${system.url}/billing`);
    await page.getByText(/Until .*in 3 days|Until .*\(in 2 days/).waitFor();
    await shot(page, '03-earlybird-expiring');
    await context.close();
  });

  it('returning from a payment not yet confirmed: stops waiting after a while and says what to do', {
    timeout: 180_000,
  }, async () => {
    const { page, context } = await newCustomer();
    await page.clock.install();
    await page.getByRole('button', { name: 'Buy earlybird access' }).click();
    await page.waitForURL((u) => !u.href.startsWith(system.url));
    const sessionId = new URL(page.url()).pathname.split('/').pop()!;
    emu.completeCheckout(sessionId, { async: true }); // a bank debit: completes unpaid
    await page.goto(`${system.url}/billing?checkout=success&session_id=${sessionId}`);
    await page.getByText(/We are confirming your purchase/).waitFor();
    await shot(page, '04-confirming');
    await page.clock.fastForward(95_000);
    await page.getByText('We have not received the confirmation yet').waitFor();
    await shot(page, '05-confirmation-late');
    await context.close();
  });

  it('two checkout tabs: both open the same checkout; the second cannot pay again', { timeout: 240_000 }, async () => {
    const { page, context, userId } = await newCustomer();
    const tab2 = await context.newPage();
    await tab2.goto(`${system.url}/billing`);
    await page.getByRole('button', { name: 'Subscribe to Standard' }).click();
    await tab2.getByRole('button', { name: 'Subscribe to Standard' }).click();
    await page.waitForURL((u) => !u.href.startsWith(system.url));
    await tab2.waitForURL((u) => !u.href.startsWith(system.url));
    expect(tab2.url()).toBe(page.url());

    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL('**/billing?checkout=success**');
    await page.getByText('Thank you — your subscription is active.').waitFor({ timeout: 60_000 });
    await shot(page, '06-subscribed');

    await tab2.reload();
    await expect(tab2.getByRole('button', { name: /^Pay/ }).count()).resolves.toBe(0);
    await shot(tab2, '07-second-tab-already-paid');
    await tab2.close();
    const subs = [...emu.state.subscriptions.values()].filter((s) => s.metadata.userId === userId);
    expect(subs.map((s) => s.status)).toEqual(['active']);

    // a pending plan switch, and taking it back
    await page.goto(`${system.url}/billing`);
    await page.getByRole('button', { name: 'Switch to Commit' }).click();
    await page.getByTestId('pending-switch').waitFor();
    await shot(page, '08-pending-switch');
    await page.getByRole('button', { name: 'Keep Standard' }).click();
    await page.getByText('Done. Your plan stays as it is.').waitFor();
    await expect(page.getByTestId('pending-switch').count()).resolves.toBe(0);
    await shot(page, '09-switch-cancelled');

    // the billing portal
    await page.getByRole('button', { name: 'Open billing portal' }).click();
    await page.waitForURL((u) => !u.href.startsWith(system.url));
    await shot(page, '10-billing-portal');

    // the renewal fails: past due
    const sub = subs[0]!;
    emu.failRenewals(sub.id);
    emu.advanceTime(32 * DAY_MS);
    await eventually(async () => (await rowOf(userId))?.status === 'past_due', {
      timeoutMs: 60_000,
      what: 'the failed renewal recorded',
    });
    await page.goto(`${system.url}/billing`);
    await page.getByText('Your last payment failed').waitFor();
    await shot(page, '11-past-due');
    await context.close();
  });
});
