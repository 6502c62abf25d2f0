// GET /api/health: 200 after a database round trip, 503 with a reason code when it fails. The answer is
// public (load balancers, uptime checks): the failure's text (addresses, driver messages) goes to the log only.
import { sql } from 'drizzle-orm';
import { errorMessage } from '@/platform/error-message';
import type { AppDeps } from '../app-deps';

const DB_PING_TIMEOUT_MS = 2_000; // a health check that hangs is worse than one that says "down"

export function createHealthHandler(deps: Pick<AppDeps, 'db' | 'logger'>) {
  return async (): Promise<Response> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        deps.db.execute(sql`select 1`),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${DB_PING_TIMEOUT_MS} ms`)), DB_PING_TIMEOUT_MS);
        }),
      ]);
      return Response.json({ status: 'ok', database: 'up' }, { headers: { 'cache-control': 'no-store' } });
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, 'health: database unreachable');
      return Response.json(
        { status: 'unavailable', database: 'down', reason: 'database_unreachable' },
        { status: 503, headers: { 'cache-control': 'no-store' } },
      );
    } finally {
      clearTimeout(timer);
    }
  };
}
