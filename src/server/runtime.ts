// The process's one set of deps and handlers, built on first request (never at import: `next build`
// loads route modules while collecting pages, and must not open a database).
import { createDb } from '@/db/client';
import { getConfig } from '@/platform/config';
import { type AppDeps, createAppDeps } from './app-deps';
import { type AppHandlers, createAppHandlers } from './http/app-handlers';

export type Runtime = { deps: AppDeps; handlers: AppHandlers };

const KEY = Symbol.for('kiloclaw.runtime');
type G = typeof globalThis & { [KEY]?: Promise<Runtime> };

export function getRuntime(): Promise<Runtime> {
  const g = globalThis as G;
  g[KEY] ??= (async () => {
    const config = getConfig();
    if (!config.DATABASE_URL) {
      throw new Error(
        'DATABASE_URL is not set. Start the app with `npm start` (it launches an embedded PostgreSQL) or set DATABASE_URL.',
      );
    }
    const { db } = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
    const deps = createAppDeps({ config, db });
    return { deps, handlers: createAppHandlers(deps) };
  })();
  return g[KEY];
}
