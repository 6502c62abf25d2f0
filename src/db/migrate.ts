// Applies the committed SQL migrations in drizzle/. Safe to run on every start: applied ones are
// skipped, and replicas starting together take turns (a PostgreSQL advisory lock), so two of them
// never apply the same migration at once.
import path from 'node:path';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { Db } from './client';

const MIGRATIONS_DIR = path.resolve(process.cwd(), 'drizzle');

const MIGRATION_LOCK_KEY = 72_616_001; // any constant shared by every replica of this app

export async function runMigrations(db: Db, folder = MIGRATIONS_DIR): Promise<void> {
  // The lock lives on a reserved connection while the migrator uses another: a one-connection pool
  // (tools, the test template) cannot do both, and has no concurrent replica to guard against.
  if ((db.$client.options.max ?? 1) < 2) return migrate(db, { migrationsFolder: folder });
  const conn = await db.$client.reserve();
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migrate(db, { migrationsFolder: folder });
    } finally {
      await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    conn.release();
  }
}
