// The runbook (README "Deploying") names only variables the config module reads, and the secrets it
// tells an operator to set, with fly.toml's [env], are a production configuration the app accepts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHandled } from '@/billing/webhooks/dispatch-table';
import { CONFIG_VARIABLES, loadConfig } from '@/platform/config';
import { repoRoot } from '@/platform/openclaw-paths';

const ROOT = repoRoot();
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const deploying = (() => {
  const start = readme.indexOf('\n## Deploying');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
})();

/** Every NAME in backticks (`NAME`, `NAME=value`) and every NAME= in a shell block. */
function namedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name = ''] of text.matchAll(/`([A-Z][A-Z0-9_]{2,})(?:=[^`]*)?`/g)) names.add(name);
  for (const [, name = ''] of text.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]{2,})=/gm)) names.add(name);
  return names;
}

describe('README "Deploying"', () => {
  it('is there and walks through every step of a deploy', () => {
    for (const heading of [
      'PostgreSQL',
      'The two Fly apps',
      'Stripe',
      'Secrets',
      'First deploy',
      'Scaling',
      'Rotating each secret',
      'Migrations',
      'Backups',
      'What to watch',
    ])
      expect(deploying).toMatch(new RegExp(`^### \\d+\\. ${heading}`, 'm'));
  });

  it('names only variables the config module reads', () => {
    const names = namedVariables(deploying);
    expect(names.size).toBeGreaterThan(15);
    const unknown = [...names].filter((n) => !CONFIG_VARIABLES.includes(n));
    expect(unknown).toEqual([]);
  });

  it('subscribes the Stripe endpoint to exactly the events the webhook handles', () => {
    const listed = [...deploying.matchAll(/`([a-z_]+\.[a-z_.]+)`/g)]
      .map(([, e = '']) => e)
      .filter((e) => !e.includes('.mjs'));
    const table = readFileSync(join(ROOT, 'src', 'billing', 'webhooks', 'dispatch-table.ts'), 'utf8');
    const handled = [...new Set([...table.matchAll(/'([a-z_]+\.[a-z_.]+)'/g)].map(([, e = '']) => e))];
    expect(handled.length).toBeGreaterThan(5);
    for (const event of handled) expect(listed, event).toContain(event);
    for (const event of listed.filter((e) => /^(checkout|customer|invoice|subscription_schedule)\./.test(e)))
      expect(isHandled(event), event).toBe(true);
  });

  it('tells the operator to set a production configuration the app accepts, on Fly', () => {
    const block = /fly secrets set[\s\S]*?```/.exec(deploying)?.[0] ?? '';
    const secrets = Object.fromEntries([...block.matchAll(/([A-Z][A-Z0-9_]{2,})=/g)].map(([, n = '']) => [n, n]));
    const env: Record<string, string> = {
      APP_ENV: 'production',
      MACHINE_PROVIDER: 'fly',
      SCHEDULER: 'false',
      ...Object.fromEntries(Object.keys(secrets).map((n) => [n, placeholder(n)])),
    };
    expect(loadConfig(env)).toMatchObject({ isProduction: true, MACHINE_PROVIDER: 'fly', schedulerEnabled: false });
  });
});

/** A well-formed value for a variable (the runbook shows shapes, not values). */
function placeholder(name: string): string {
  if (name.endsWith('_URL')) return name === 'DATABASE_URL' ? 'postgres://u:p@db:5432/k' : 'https://x.example';
  if (name === 'SMTP_URL') return 'smtp://x.example:587';
  if (name === 'CHANNEL_TOKEN_KEYS') return `k1:${Buffer.alloc(32, 1).toString('base64')}`; // id:base64 of 32 bytes
  return `${name.toLowerCase()}-0123456789abcdef0123456789abcdef`;
}
