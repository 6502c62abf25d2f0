// The README's quick start, in a real browser on the whole system (`npm start`'s script): sign up →
// trial → start the instance → connect Telegram on the Channels page and see its status → send a
// test message → approve the simulated sender on the Pairing page. Screenshots go to
// test-artifacts/screenshots/ (20-…).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, signUpInBrowser } from '../harness/browser';
import { uniqueEmail } from '../harness/client';
import { ensureOpenclaw } from '../harness/openclaw';
import { type RunningSystem, startSystem } from '../harness/system';

const SHOTS = path.resolve(import.meta.dirname, '../../test-artifacts/screenshots');
// A busy 2-core machine: a machine start or one openclaw CLI run can take minutes.
const INSTANCE_START_MS = 300_000;
const CHANNEL_APPLY_MS = 300_000;
const TELEGRAM_TOKEN = '987654321:AAbrowserTestTokenOnly_abcdefghijkl';

let system: RunningSystem;
let browser: Browser;
let page: Page;
let dataDir: string;

const nav = () => page.getByRole('navigation', { name: 'Dashboard' });

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  ensureOpenclaw();
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-channels-e2e-'));
  system = await startSystem({ dataDir, readyTimeoutMs: 540_000 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  page.setDefaultTimeout(30_000);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
}, 120_000);

describe('connecting a channel from the dashboard', () => {
  it('signs up, starts a trial and the instance', { timeout: INSTANCE_START_MS + 120_000 }, async () => {
    await signUpInBrowser(page, system.url, {
      name: 'Grace Hopper',
      email: uniqueEmail('channels'),
      password: 'correct-horse-battery',
    });
    await page.getByRole('button', { name: 'Start free trial' }).click();
    await page.getByText(/Your free trial has started/).waitFor();

    await page.getByRole('link', { name: 'Instance', exact: true }).click();
    await page.getByRole('button', { name: 'Start instance' }).click();
    await page.locator('[data-testid=instance-status][data-status=running]').waitFor({ timeout: INSTANCE_START_MS });
  });

  it('connects Telegram with a bot token and shows its status as openclaw reports it', {
    timeout: CHANNEL_APPLY_MS + 180_000,
  }, async () => {
    await nav().getByRole('link', { name: 'Channels', exact: true }).click();
    const telegram = page.getByTestId('channel-telegram');
    await telegram.getByTestId('channel-state').waitFor();
    await expect(telegram.getByTestId('channel-state').textContent()).resolves.toBe('Not connected');
    await expect(telegram.getByText('@BotFather').count()).resolves.toBe(1);
    await shot('20-channels-empty');

    // a malformed token is refused in words, and nothing is saved
    await telegram.getByLabel('Bot token').fill('not-a-token');
    await telegram.getByRole('button', { name: 'Connect Telegram' }).click();
    await telegram.getByText(/a Telegram bot token looks like 123456789:AA/).waitFor();
    await expect(telegram.getByTestId('channel-state').textContent()).resolves.toBe('Not connected');
    await shot('21-channels-bad-token');

    await telegram.getByLabel('Bot token').fill(TELEGRAM_TOKEN);
    await telegram.getByRole('button', { name: 'Connect Telegram' }).click();
    await telegram.getByText('Telegram saved.').waitFor({ timeout: CHANNEL_APPLY_MS });
    await telegram.getByText('Bot token ending in ijkl').waitFor();
    await expect(page.content()).resolves.not.toContain(TELEGRAM_TOKEN);
    // offline, Telegram's own connection error is the honest status (the page polls until the probe has it)
    await telegram.locator('[data-testid=channel-state][data-state=error]').waitFor({ timeout: 180_000 });
    await expect(telegram.getByTestId('channel-detail').textContent()).resolves.toMatch(/\w/);
    await shot('22-channels-telegram-connected');
  });

  it('sends a test message whose sender then waits on the Pairing page and can be approved', {
    timeout: 360_000,
  }, async () => {
    const telegram = page.getByTestId('channel-telegram');
    await telegram.getByRole('button', { name: 'Send a test message on Telegram' }).click();
    const notice = telegram.getByText(/A test sender asked to pair \(code ([A-Z0-9]+)\)/);
    await notice.waitFor({ timeout: 120_000 });
    const code = /code ([A-Z0-9]+)/.exec((await notice.textContent()) ?? '')![1]!;
    await shot('23-channels-test-message');

    await nav().getByRole('link', { name: 'Pairing', exact: true }).click();
    const row = page.locator(`[data-testid=channel-request][data-code="${code}"]`);
    await row.waitFor({ timeout: 120_000 });
    await shot('24-pairing-test-sender');
    await row.getByRole('button').click();
    // the outcome in words: approved, or the error the page shows (so a failure says what went wrong)
    const outcome = page.getByText(/Approved .* on Telegram( in [0-9.]+ s)?\./).or(page.locator('.notice-error'));
    await outcome.first().waitFor({ timeout: 240_000 });
    await expect(outcome.first().textContent()).resolves.toMatch(/Approved .* on Telegram( in [0-9.]+ s)?\./);
    await row.waitFor({ state: 'detached' });
  });
});
