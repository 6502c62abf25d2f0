// On the embedded default, secrets are generated once and kept beside the data, so sessions and
// controller tokens survive restarts. Deployed setups pass them in the environment.
// DATA_DIR holds the database, these secrets and every local instance's openclaw state: it is the
// owner's only (0700, secrets.json 0600), enforced on every start — a copy, an unpack or a umask may
// have widened them since the files were created.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** How each secret is generated (CHANNEL_TOKEN_KEYS is a key ring: `<key id>:<32 bytes base64>`). */
const GENERATORS = {
  AUTH_SECRET: () => randomBytes(32).toString('base64url'),
  CRON_SECRET: () => randomBytes(32).toString('base64url'),
  CONTROLLER_SECRET: () => randomBytes(32).toString('base64url'),
  CHANNEL_TOKEN_KEYS: () => `k1:${randomBytes(32).toString('base64')}`,
} as const;
const NAMES = Object.keys(GENERATORS) as Array<keyof typeof GENERATORS>;
const DATA_DIR_MODE = 0o700;
const SECRETS_FILE_MODE = 0o600;

/** Creates DATA_DIR if needed and narrows its mode (and secrets.json's) to the owner. */
export function enforceDataDirModes(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  chmodSync(dataDir, DATA_DIR_MODE);
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) chmodSync(file, SECRETS_FILE_MODE);
}

/** The stored development secrets for every name `isSet` says is unset, generating (and storing) any missing one. */
export function embeddedSecrets(
  dataDir: string,
  isSet: (name: (typeof NAMES)[number]) => boolean,
): Partial<Record<(typeof NAMES)[number], string>> {
  enforceDataDirModes(dataDir);
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
  if (changed) {
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: SECRETS_FILE_MODE });
    chmodSync(file, SECRETS_FILE_MODE); // `mode` applies only when the file is created
  }
  return out;
}
