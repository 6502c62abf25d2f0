// `npm start` with APP_ENV=production and unsafe defaults: it refuses with one message naming every
// problem, and starts nothing first — no embedded PostgreSQL, not even the data directory.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@/platform/free-port';
import { startSystemProcess } from '../harness/system';

const root = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-prod-refusal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('npm start in production with unsafe defaults', () => {
  it('names DATABASE_URL, the local provider and the http APP_URL in one message, and starts nothing', {
    timeout: 180_000,
  }, async () => {
    const dataDir = path.join(root, 'data');
    const p = startSystemProcess({
      dataDir,
      port: await freePort(),
      env: { APP_ENV: 'production', APP_URL: 'http://claw.example.com', MACHINE_PROVIDER: 'local' },
    });
    const code = await p.exited;
    const out = p.output();
    expect(code).not.toBe(0);
    expect(out.match(/Invalid configuration/g)).toHaveLength(1);
    for (const name of ['DATABASE_URL', 'MACHINE_PROVIDER', 'APP_URL', 'AUTH_SECRET', 'CONTROLLER_SECRET'])
      expect(out).toContain(`${name}:`);
    expect(out).toMatch(/DATABASE_URL: required .*embedded PostgreSQL/);
    expect(out).not.toMatch(/embedded PostgreSQL started|Stripe emulator started|building the web app/);
    expect(existsSync(dataDir)).toBe(false);
  });
});
