// openclaw.json as the controller needs it: where it is, and a minimal one for a fresh state dir
// (without `gateway.mode` the gateway exits with "Missing config" and would only crash-loop).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Env } from './exec';

const DEFAULT_OPENCLAW_CONFIG = { gateway: { mode: 'local' } } as const;

export function openclawConfigPath(stateDir: string, env: Env = process.env): string {
  return env.OPENCLAW_CONFIG_PATH?.trim() || join(stateDir, 'openclaw.json');
}

/** Writes the minimal openclaw.json when there is none; returns true when it wrote one. */
export function ensureOpenclawConfig(configPath: string): boolean {
  if (existsSync(configPath)) return false;
  mkdirSync(dirname(configPath), { recursive: true });
  writeFileSync(configPath, `${JSON.stringify(DEFAULT_OPENCLAW_CONFIG, null, 2)}\n`, { flag: 'wx' });
  return true;
}
