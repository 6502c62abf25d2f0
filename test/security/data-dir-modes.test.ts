// DATA_DIR (database, generated secrets, local instances' openclaw state) is the owner's only, on every
// start: modes widened after creation are narrowed again.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedSecrets } from '@/server/embedded-secrets';

const root = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-modes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mode = (p: string) => statSync(p).mode & 0o777;

describe('DATA_DIR and secrets.json permissions', () => {
  it('are 0700 and 0600 when created', () => {
    const dir = path.join(root, 'fresh');
    embeddedSecrets(dir, () => false);
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(dir, 'secrets.json'))).toBe(0o600);
  });

  it('are narrowed again on the next start after something widened them, keeping the secrets', () => {
    const dir = path.join(root, 'widened');
    const first = embeddedSecrets(dir, () => false);
    const file = path.join(dir, 'secrets.json');
    chmodSync(dir, 0o755);
    chmodSync(file, 0o644);

    const second = embeddedSecrets(dir, () => false);
    expect(mode(dir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(second.AUTH_SECRET).toBe(first.AUTH_SECRET);
  });

  it('are narrowed when a secret is added to a file that was readable by others', () => {
    const dir = path.join(root, 'partial');
    embeddedSecrets(dir, () => false);
    const file = path.join(dir, 'secrets.json');
    const { CRON_SECRET: _dropped, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    writeFileSync(file, JSON.stringify(rest));
    chmodSync(file, 0o666);
    embeddedSecrets(dir, () => false);
    expect(mode(file)).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).CRON_SECRET).toBeTruthy();
  });
});
