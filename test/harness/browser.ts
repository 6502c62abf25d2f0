// Headless Chromium for the browser tests, from the npm registry (@sparticuz/chromium ships a build
// inside the package, unpacked on first use), so `npm ci` is all a fresh machine needs.
// CHROMIUM_PATH points at another Chromium instead.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import sparticuz from '@sparticuz/chromium';
import { type Browser, chromium, type Page } from 'playwright-core';

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

/**
 * The build links against NSS, NSPR and expat. The package carries them (bin/al2023.tar.br) but only
 * unpacks them on Amazon Linux; elsewhere it relies on the system's copies, which a fresh machine may
 * lack. Unpack them (once, into the temp directory the package itself would use) and return the dir.
 */
function bundledLibraries(): string {
  const target = join(tmpdir(), 'al2023');
  if (existsSync(join(target, 'lib', 'libnss3.so'))) return join(target, 'lib');
  const packageDir = dirname(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')));
  const tar = brotliDecompressSync(readFileSync(join(packageDir, 'bin', 'al2023.tar.br')));
  const staging = mkdtempSync(join(tmpdir(), 'al2023-'));
  // a plain tar: 512-byte headers (name at 0, octal size at 124, type at 156), data padded to 512
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar.toString('utf8', at, at + 100).replace(/\0[\s\S]*$/, '');
    if (!name) break;
    const size = Number.parseInt(
      tar
        .toString('utf8', at + 124, at + 136)
        .replace(/\0/g, '')
        .trim() || '0',
      8,
    );
    const type = String.fromCharCode(tar[at + 156] ?? 0);
    const file = join(staging, name);
    if (type === '5') mkdirSync(file, { recursive: true });
    else if (type === '0' || type === '\0') {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, tar.subarray(at + 512, at + 512 + size), { mode: 0o755 });
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  try {
    renameSync(staging, target); // atomic: a concurrent launch sees all of it or none
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another launch got there first
  }
  return join(target, 'lib');
}

export async function launchBrowser(): Promise<Browser> {
  if (process.env.CHROMIUM_PATH) return chromium.launch({ executablePath: process.env.CHROMIUM_PATH, args: ARGS });
  const executablePath = await sparticuz.executablePath();
  const libraries = [bundledLibraries(), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return chromium.launch({ executablePath, args: ARGS, env: { ...process.env, LD_LIBRARY_PATH: libraries } });
}

/**
 * Signs a new account up on the sign-up page at `baseUrl` and confirms its address through the link
 * on the development mail page; resolves once the link has landed the person on billing.
 */
export async function signUpInBrowser(
  page: Page,
  baseUrl: string,
  person: { name: string; email: string; password: string },
): Promise<void> {
  await page.goto(`${baseUrl}/sign-up`);
  await page.getByLabel('Your name').fill(person.name);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  // a new account confirms its address first: the link is on the development mail page
  await page.waitForURL('**/verify');
  await page.goto(`${baseUrl}/dev/mail`);
  await page
    .locator(`[data-testid=dev-mail][data-to="${person.email}"] a[href*="/api/auth/verify-email"]`)
    .first()
    .click();
  await page.waitForURL('**/billing');
}
