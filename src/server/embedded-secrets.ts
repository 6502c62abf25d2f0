// On the embedded default, secrets are generated once and kept beside the data (mode 0600), so
// sessions and controller tokens survive restarts. Deployed setups pass them in the environment.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** How each secret is generated (CHANNEL_TOKEN_KEYS is a key ring: `<key id>:<32 bytes base64>`). */
const GENERATORS = {
  AUTH_SECRET: () => randomBytes(32).toString('base64url'),
  CRON_SECRET: () => randomBytes(32).toString('base64url'),
  CONTROLLER_SECRET: () => randomBytes(32).toString('base64url'),
  CHANNEL_TOKEN_KEYS: () => `k1:${randomBytes(32).toString('base64')}`,
} as const;
const NAMES = Object.keys(GENERATORS) as Array<keyof typeof GENERATORS>;

/** The stored development secrets for every name `isSet` says is unset, generating (and storing) any missing one. */
export function embeddedSecrets(
  dataDir: string,
  isSet: (name: (typeof NAMES)[number]) => boolean,
): Partial<Record<(typeof NAMES)[number], string>> {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'secrets.json');
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const out: Partial<Record<(typeof NAMES)[number], string>> = {};
  let changed = false;
  for (const name of NAMES) {
    if (isSet(name)) continue;
    if (!stored[name]) {
      stored[name] = GENERATORS[name]();
      changed = true;
    }
    out[name] = stored[name];
  }
  if (changed) writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  return out;
}
