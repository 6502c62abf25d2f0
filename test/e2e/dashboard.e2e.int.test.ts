// The dashboard as a new customer meets it: the whole system started by `npm start`'s script, driven in headless
// Chromium (from npm). Sign up → confirm the email address (development mail page) → trial → instance → a real
// openclaw pairing request appears and is approved → subscribe through the Stripe emulator's checkout page. Each
// page is saved as a screenshot in test-artifacts/screenshots/ for a person to look at.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_DENIAL_MESSAGES } from '@/billing/access';
import { launchBrowser } from '../harness/browser';
import { uniqueEmail } from '../harness/client';
import { createChannelRequest, createDeviceRequest, ensureOpenclaw, type OpenclawHome } from '../harness/openclaw';
import { type RunningSystem, startSystem } from '../harness/system';

const SHOTS = path.resolve(import.meta.dirname, '../../test-artifacts/screenshots');
const PASSWORD = 'correct-horse-battery';
// A busy 2-core machine: a machine start (controller + openclaw gateway) or a CLI approve can take minutes.
const INSTANCE_START_MS = 300_000;
const APPROVE_MS = 240_000;
const IDLE_WINDOW_MS = 30_000;
/** Measured in the pairing test and printed (click → gone, new request → on the page, idle request rate). */
const timing: Record<string, number> = {};

let system: RunningSystem;
let browser: Browser;
let page: Page;
let dataDir: string;
const email = uniqueEmail('browser');
/** what Chromium reports when the Content-Security-Policy blocks something the dashboard needs */
const cspViolations: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The openclaw state of the user's one instance, as the local machine provider lays it out in DATA_DIR. */
function instanceOpenclawHome(): OpenclawHome {
  const root = path.join(dataDir, 'instances');
  const volumes = readdirSync(root).filter((d) => !d.startsWith('.'));
  expect(volumes).toHaveLength(1);
  const dir = path.join(root, volumes[0]!);
  const stateDir = path.join(dir, 'openclaw');
  const home = path.join(dir, 'home');
  return { dir, stateDir, home, env: { HOME: home, OPENCLAW_STATE_DIR: stateDir }, remove: () => undefined };
}

/** What a customer does to connect Telegram: a bot token in openclaw.json (offline here, so it never connects). */
function configureTelegram(home: OpenclawHome): void {
  const file = path.join(home.stateDir, 'openclaw.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  config.channels = { telegram: { enabled: true, botToken: '123456:offline-test-token', dmPolicy: 'pairing' } };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

beforeAll(async () => {
  ensureOpenclaw();
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-dashboard-'));
  system = await startSystem({ dataDir, readyTimeoutMs: 540_000 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) cspViolations.push(m.text());
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
  // the instance's controller finishes its own shutdown just after the app exits: retry the removal
  if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
}, 120_000);

describe('the dashboard in a real browser', () => {
  it('welcomes a visitor and turns away a wrong password in words', async () => {
    await page.goto(`${system.url}/`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toMatch(/AI assistant/);
    await shot('01-landing');

    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill('nobody@example.test');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // (Next's route announcer is an alert too, so the form's own message is found by its id)
    await expect(page.locator('#auth-error').textContent()).resolves.toBe(
      'That email and password do not match. Check them and try again.',
    );
    await shot('02-sign-in-error');
  });

  it('signs a new customer up and explains why the assistant is not available yet', async () => {
    await page.goto(`${system.url}/sign-up`);
    await page.getByLabel('Your name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await shot('03-sign-up');
    await page.getByRole('button', { name: 'Create account' }).click();

    // first, confirm the address: the page says where the link went and can send another
    await page.waitForURL('**/verify');
    await expect(page.getByTestId('verify-email').textContent()).resolves.toBe(email);
    await page.getByRole('button', { name: 'Send the link again' }).click();
    await page.getByText(`We sent a new link to ${email}.`).waitFor();
    await shot('03b-verify-email');

    // no mail server in development: the mails are on /dev/mail; the newest link is the one to open
    await page.getByRole('link', { name: '/dev/mail' }).click();
    const mail = page.locator(`[data-testid=dev-mail][data-to="${email}"]`).first();
    await mail.waitFor();
    await shot('03c-dev-mail');
    await mail.locator('a[href*="/api/auth/verify-email"]').click();

    // confirmed, no plan yet: the link lands on billing, where the reason and the fix are in words
    await page.waitForURL('**/billing');
    await page.getByText(ACCESS_DENIAL_MESSAGES.no_subscription).waitFor();
    await expect(page.getByTestId('billing-status').textContent()).resolves.toBe('No plan yet');
    await shot('04-billing-new-user');

    // the instance page says the same, with a link to the step that fixes it
    await page.getByRole('link', { name: 'Instance', exact: true }).click();
    await page.getByText(ACCESS_DENIAL_MESSAGES.no_subscription).waitFor();
    await expect(
      page.getByRole('link', { name: 'Start a free trial or subscribe' }).getAttribute('href'),
    ).resolves.toBe('/billing');
    await shot('05-instance-access-denied');
  });

  it('starts a free trial and shows its countdown', async () => {
    await page.getByRole('link', { name: 'Start a free trial or subscribe' }).click();
    await page.getByRole('button', { name: 'Start free trial' }).click();
    await page.getByText(/Your free trial has started/).waitFor();
    await page.getByTestId('trial-countdown').waitFor();
    await expect(page.getByTestId('billing-status').textContent()).resolves.toBe('Free trial');
    await expect(page.getByTestId('trial-countdown').textContent()).resolves.toBe('Ends in 7 days');
    await expect(page.getByRole('button', { name: 'Start free trial' }).count()).resolves.toBe(0);
    await shot('06-billing-trial');
  });

  it('starts the instance and follows it to running without a reload', {
    timeout: INSTANCE_START_MS + 60_000,
  }, async () => {
    await page.getByRole('link', { name: 'Go to your instance' }).click();
    await page.waitForURL('**/instance');
    await expect(page.getByTestId('instance-status').textContent()).resolves.toBe('Not created');
    await shot('07-instance-none');

    await page.getByRole('button', { name: 'Start instance' }).click();
    await page.locator('[data-testid=instance-status][data-status=starting]').waitFor();
    await shot('08-instance-starting');
    await page.locator('[data-testid=instance-status][data-status=running]').waitFor({ timeout: INSTANCE_START_MS });
    await page.getByRole('button', { name: 'Stop instance' }).waitFor();
    // deleting stays locked until the confirmation word is typed
    await expect(page.getByRole('button', { name: 'Delete instance' }).isDisabled()).resolves.toBe(true);
    await shot('09-instance-running');
  });

  it('shows pending pairing requests from openclaw with age and expiry, and approving one removes it', {
    timeout: APPROVE_MS * 2 + 240_000,
  }, async () => {
    await page.getByRole('link', { name: 'Pairing', exact: true }).click();
    // until the instance has read openclaw once the page says "Checking…", not "no one"
    await page.getByText('No one is waiting.', { exact: false }).waitFor({ timeout: 120_000 });
    await page.getByText('No devices are waiting.', { exact: false }).waitFor({ timeout: 120_000 });
    await expect(page.getByTestId('last-checked').textContent()).resolves.toMatch(/^Last checked /);
    await shot('10-pairing-empty');

    const home = instanceOpenclawHome();
    configureTelegram(home);
    const older = await createChannelRequest(home, {
      channel: 'telegram',
      id: '111222333',
      meta: { username: 'alice', firstName: 'Alice' },
    });
    const olderCreated = performance.now();
    await page.locator(`[data-testid=channel-request][data-code="${older.code}"]`).waitFor({ timeout: 120_000 });
    timing.appear_s = (performance.now() - olderCreated) / 1000; // openclaw recorded it → on the page
    const newer = await createChannelRequest(home, {
      channel: 'telegram',
      id: '444555666',
      meta: { username: 'bob', firstName: 'Bob' },
    });
    const device = await createDeviceRequest(home, { displayName: 'Ada’s laptop', platform: 'linux' });

    // they appear by themselves (the page polls), newest first, each with its age and expiry
    const channelRows = page.getByTestId('channel-request');
    await page.locator(`[data-testid=channel-request][data-code="${older.code}"]`).waitFor({ timeout: 120_000 });
    await page.locator(`[data-testid=channel-request][data-code="${newer.code}"]`).waitFor({ timeout: 120_000 });
    await expect(channelRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-code')))).resolves.toEqual([
      newer.code,
      older.code,
    ]);
    await expect(channelRows.first().getByTestId('expiry').textContent()).resolves.toMatch(
      /^Expires in (5\d min|60 min|1 h)$/,
    );
    const deviceRow = page.locator(`[data-testid=device-request][data-request-id="${device.requestId}"]`);
    await deviceRow.waitFor({ timeout: 120_000 });
    await expect(deviceRow.getByTestId('expiry').textContent()).resolves.toMatch(/^Expires in [1-5] min$/);
    await shot('11-pairing-pending');

    // devices first: openclaw drops a device request 5 min after it asked
    let clicked = performance.now();
    await page.getByRole('button', { name: 'Approve device Ada’s laptop' }).click();
    await deviceRow.waitFor({ state: 'detached', timeout: APPROVE_MS });
    timing.approve_device_s = (performance.now() - clicked) / 1000; // click → gone from the page
    await page.getByText(/Approved Ada’s laptop in \d+\.\d s\./).waitFor({ timeout: APPROVE_MS });
    await shot('12-pairing-device-approved');

    clicked = performance.now();
    await page.getByRole('button', { name: `Approve Alice @alice on Telegram (code ${older.code})` }).click();
    await page
      .locator(`[data-testid=channel-request][data-code="${older.code}"]`)
      .waitFor({ state: 'detached', timeout: APPROVE_MS });
    timing.approve_channel_s = (performance.now() - clicked) / 1000;
    await page.getByText(/Approved Alice @alice on Telegram in \d+\.\d s\./).waitFor({ timeout: APPROVE_MS });
    await expect(page.locator(`[data-testid=channel-request][data-code="${newer.code}"]`).count()).resolves.toBe(1);
    await shot('13-pairing-channel-approved');

    // a reload asks the instance afresh: the approved ones stay gone
    await page.reload();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator(`[data-testid=channel-request][data-code="${newer.code}"]`).waitFor();
    await expect(page.locator(`[data-testid=channel-request][data-code="${older.code}"]`).count()).resolves.toBe(0);
    await expect(
      page.locator(`[data-testid=device-request][data-request-id="${device.requestId}"]`).count(),
    ).resolves.toBe(0);

    // an idle open page: how many requests it makes (the lists long-poll; nothing changes meanwhile)
    await page.waitForTimeout(2_000);
    let requests = 0;
    const count = (req: { url(): string }) => {
      if (req.url().includes('/api/')) requests += 1;
    };
    page.on('request', count);
    await page.waitForTimeout(IDLE_WINDOW_MS);
    page.off('request', count);
    timing.idle_requests_per_s = requests / (IDLE_WINDOW_MS / 1000);
    writeFileSync(path.join(SHOTS, '..', 'pairing-timing.json'), `${JSON.stringify(timing, null, 2)}\n`);
    console.log(`pairing in the browser: ${JSON.stringify(timing)}`);
    // 2 lists × one long-poll per 20 s + the instance status every 15 s ≈ 0.17/s (was 0.47/s polling)
    expect(timing.idle_requests_per_s).toBeLessThan(0.3);
  });

  it('subscribes through the checkout page and shows the plan', { timeout: 180_000 }, async () => {
    await page.getByRole('link', { name: 'Billing', exact: true }).click();
    await page.getByRole('radio', { name: /Commit/ }).check();
    await page.getByRole('button', { name: 'Subscribe to Commit' }).click();

    // the emulator's hosted checkout page, on its own origin
    await page.waitForURL((u) => !u.href.startsWith(system.url), { timeout: 30_000 });
    await shot('14-checkout');
    await page.getByRole('button', { name: /^Pay/ }).click();

    await page.waitForURL('**/billing?checkout=success**', { timeout: 30_000 });
    await page.getByTestId('billing-plan').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('billing-status').textContent()).resolves.toBe('Active');
    await expect(page.getByTestId('billing-plan').textContent()).resolves.toBe('Commit');
    await page.getByText('Thank you — your subscription is active.').waitFor();
    await page.getByRole('button', { name: 'Switch to Standard' }).waitFor();
    await shot('15-billing-active');
  });

  it('schedules a cancellation and takes it back', { timeout: 120_000 }, async () => {
    await page.getByRole('button', { name: 'Cancel subscription…' }).click();
    await shot('16-billing-cancel-confirm');
    await page.getByRole('button', { name: 'Yes, cancel at period end' }).click();
    await page.getByTestId('pending-cancel').waitFor();
    await shot('17-billing-pending-cancel');

    await page.getByRole('button', { name: 'Keep my subscription' }).click();
    await page.getByText('Your subscription continues.', { exact: false }).waitFor();
    await expect(page.getByTestId('pending-cancel').count()).resolves.toBe(0);
  });

  it('deletes the instance only after the confirmation word is typed', { timeout: 180_000 }, async () => {
    await page.getByRole('link', { name: 'Instance', exact: true }).click();
    await page.locator('[data-testid=instance-status][data-status=running]').waitFor();
    const del = page.getByRole('button', { name: 'Delete instance' });
    await page.getByLabel('Confirmation').fill('remove');
    await expect(del.isDisabled()).resolves.toBe(true);
    await page.getByLabel('Confirmation').fill('delete');
    await expect(del.isEnabled()).resolves.toBe(true);
    await shot('18-instance-delete-confirm');
    await del.click();
    await page.locator('[data-testid=instance-status][data-status=none]').waitFor({ timeout: 150_000 });
    await expect(page.getByText(/Your instance (and its data were|is being) deleted/).count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'Start instance' }).waitFor();
    await shot('19-instance-deleted');
  });

  it('signs out and keeps the dashboard behind sign-in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${system.url}/`);
    await page.goto(`${system.url}/pairing`);
    await page.waitForURL('**/sign-in');
    await shot('20-signed-out');
    // every page above ran under the app's Content-Security-Policy (frame-ancestors 'none', scripts 'self')
    expect(cspViolations).toEqual([]);
  });
});
