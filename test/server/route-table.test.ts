// The route table (src/server/http/routes.ts) against Next's route files on disk: every
// src/app/api/**/route.ts is in the table with the same methods and handler, and every table entry
// has its file. The test server and the scheduler route by the table, so they cannot drift from Next.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRoute, ROUTES } from '@/server/http/routes';
import { CRON_JOBS } from '@/server/scheduler';

const APP_DIR = path.resolve(__dirname, '../../src/app');

function routeFiles(): { path: string; text: string }[] {
  return readdirSync(path.join(APP_DIR, 'api'), { recursive: true, encoding: 'utf8' })
    .filter((f) => path.basename(f) === 'route.ts')
    .map((f) => ({
      path: `/api/${path.dirname(f).split(path.sep).join('/')}`,
      text: readFileSync(path.join(APP_DIR, 'api', f), 'utf8'),
    }));
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const exportedMethods = (text: string) =>
  HTTP_METHODS.filter((m) =>
    new RegExp(`export\\s+(async\\s+)?(function|const)\\s+${m}\\b|\\bas\\s+${m}\\b`).test(text),
  ).sort();

describe('the route table', () => {
  const files = routeFiles();

  it('lists every route file with the methods it exports and the handler it calls', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const route = ROUTES.find((r) => r.path === file.path);
      expect(route, `${file.path} is missing from the route table`).toBeDefined();
      expect([...route!.methods].sort(), file.path).toEqual(exportedMethods(file.text));
      expect(file.text, file.path).toContain(`handlers.${route!.handler}(`);
    }
  });

  it('has no entry without its route file', () => {
    expect(ROUTES.map((r) => r.path).sort()).toEqual(files.map((f) => f.path).sort());
  });

  it('routes request paths as Next does, dynamic segments included', () => {
    expect(findRoute('/api/trpc/kiloclaw.getBillingStatus')?.handler).toBe('trpc');
    expect(findRoute('/api/auth/sign-in/email')?.handler).toBe('auth');
    expect(findRoute('/api/health')?.handler).toBe('health');
    expect(findRoute('/api/trpc')).toBeNull();
    expect(findRoute('/api/health/extra')).toBeNull();
    expect(findRoute('/api/nothing')).toBeNull();
  });

  it('gives the scheduler exactly the cron routes', () => {
    expect(CRON_JOBS.map((j) => j.path).sort()).toEqual(
      files
        .map((f) => f.path)
        .filter((p) => p.startsWith('/api/cron/'))
        .sort(),
    );
  });
});
