// Applies the committed SQL migrations in drizzle/. Safe to run on every start: applied ones are skipped.
import path from 'node:path';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { Db } from './client';

export const MIGRATIONS_DIR = path.resolve(process.cwd(), 'drizzle');

export async function runMigrations(db: Db, folder = MIGRATIONS_DIR): Promise<void> {
  await migrate(db, { migrationsFolder: folder });
}
