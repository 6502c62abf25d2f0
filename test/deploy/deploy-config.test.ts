// fly.toml (the web app), machine/fly.toml (the instances app) and vercel.json say what the code
// expects: the health route, the migrations before a release, the programs `npm run build` makes,
// the variables the config module reads, and both cron endpoints on a schedule.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '@/platform/config';
import { repoRoot } from '@/platform/openclaw-paths';
import { CRON_JOBS } from '@/server/scheduler';

const ROOT = repoRoot();
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** `key = "value"` lines of one [table] of a TOML file (the flat subset our fly.toml files use). */
function table(toml: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current = '';
  for (const raw of toml.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const header = /^\[\[?([^\]]+)\]\]?$/.exec(line);
    if (header) current = header[1] ?? '';
    const kv = /^([\w.-]+)\s*=\s*(.+)$/.exec(line);
    if (kv && current === name) out[kv[1] ?? ''] = (kv[2] ?? '').replace(/^"(.*)"$/, '$1');
  }
  return out;
}

describe('fly.toml (the web app)', () => {
  const toml = read('fly.toml');

  it('checks /api/health on the port the app listens on', () => {
    expect(table(toml, 'http_service.checks')).toMatchObject({ path: '/api/health', method: 'GET' });
    expect(table(toml, 'http_service').internal_port).toBe(table(toml, 'env').PORT);
  });

  it('applies the migrations before a release and rolls machines one at a time', () => {
    expect(table(toml, 'deploy')).toMatchObject({
      release_command: 'node dist/app-server.mjs migrate',
      strategy: 'rolling',
    });
  });

  it('runs web replicas and one cron caller from the app image, and routes traffic only to the web ones', () => {
    expect(table(toml, 'processes')).toEqual({
      app: 'node dist/app-server.mjs serve',
      cron: 'node dist/app-server.mjs cron',
    });
    expect(table(toml, 'http_service').processes).toBe('["app"]');
    expect(table(toml, 'build').dockerfile).toBe('Dockerfile');
  });

  it('sets only variables the config module reads, and a configuration it accepts', () => {
    const env = table(toml, 'env');
    for (const name of Object.keys(env)) expect(CONFIG_VARIABLES, name).toContain(name);
    // with the secrets an operator sets (README "Deploying"), the config loads as production on Fly
    const config = loadConfig({
      ...env,
      DATABASE_URL: 'postgres://u:p@db.internal:5432/kiloclaw',
      AUTH_SECRET: 'a'.repeat(32),
      CHANNEL_TOKEN_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      CRON_SECRET: 'c'.repeat(16),
      CONTROLLER_SECRET: 'k'.repeat(32),
      STRIPE_SECRET_KEY: 'sk_live_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      SMTP_URL: 'smtp://mail.example:587',
      APP_URL: 'https://kiloclaw.example',
      FLY_API_TOKEN: 'fly-token',
      FLY_INSTANCES_APP: table(read('machine/fly.toml'), '').app ?? '',
      FLY_IMAGE: 'registry.fly.io/kiloclaw-instances:v1',
    });
    expect(config).toMatchObject({ isProduction: true, schedulerEnabled: false, MACHINE_PROVIDER: 'fly' });
  });
});

describe('machine/fly.toml (the instances app)', () => {
  it('is a separate app, building machine/Dockerfile, with no services or processes of its own', () => {
    const toml = read('machine/fly.toml');
    expect(table(toml, '').app).toBeTruthy();
    expect(table(toml, '').app).not.toBe(table(read('fly.toml'), '').app);
    expect(existsSync(join(ROOT, 'machine', table(toml, 'build').dockerfile ?? ''))).toBe(true);
    expect(toml).not.toMatch(/^\s*\[(http_service|processes|\[services\])/m);
  });
});

describe('vercel.json', () => {
  it('calls every cron endpoint on a schedule', () => {
    const vercel = JSON.parse(read('vercel.json')) as { crons: Array<{ path: string; schedule: string }> };
    expect(vercel.crons.map((c) => c.path).sort()).toEqual(CRON_JOBS.map((j) => j.path).sort());
    for (const { schedule } of vercel.crons) expect(schedule.split(' ')).toHaveLength(5);
  });
});
