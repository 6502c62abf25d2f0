// Headless Chromium for the browser tests, from the npm registry (@sparticuz/chromium ships a build
// inside the package, unpacked on first use), so `npm ci` is all a fresh machine needs.
// CHROMIUM_PATH points at another Chromium instead.
import sparticuz from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';

const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // the machine has no outside network: Chromium's own background connections only fail
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? (await sparticuz.executablePath());
  return chromium.launch({ executablePath, args: ARGS });
}
