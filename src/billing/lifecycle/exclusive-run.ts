// One lifecycle run at a time across every replica: a PostgreSQL session advisory lock, held on one
// reserved connection for the whole run (a pooled connection could be handed to someone else between
// queries, and an advisory lock belongs to the session that took it). If the process dies, the
// connection closes and PostgreSQL releases the lock.
import type { Sql } from 'postgres';
import type { Db } from '@/db/client';
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';

export type Skipped = { skipped: true; reason: string };

export async function withAdvisoryLock<T>(
  db: Db,
  key: bigint,
  logger: Logger,
  fn: () => Promise<T>,
): Promise<T | Skipped> {
  // Db is drizzle over postgres.js (src/db/client.ts); its client is what can reserve a connection
  const conn = await (db as Db & { $client: Sql }).$client.reserve();
  try {
    const [row] = await conn<{ locked: boolean }[]>`select pg_try_advisory_lock(${key.toString()}::bigint) as locked`;
    if (!row?.locked) return { skipped: true, reason: 'another run holds the lock' };
    try {
      return await fn();
    } finally {
      try {
        await conn`select pg_advisory_unlock(${key.toString()}::bigint)`;
      } catch (err) {
        // the connection is released below; if it is broken PostgreSQL drops the lock with the session
        logger.warn({ reason: errorMessage(err) }, 'lifecycle: advisory unlock failed');
      }
    }
  } finally {
    conn.release();
  }
}
