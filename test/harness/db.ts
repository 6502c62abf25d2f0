// A fresh database per test file, cloned from the migrated template (fast, and files run in parallel).
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, type DbHandle } from '@/db/client';

export type TestDb = DbHandle & { url: string; name: string };

function databaseUrl(database: string): string {
  const u = new URL(inject('pgAdminUrl'));
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates an empty database (no migrations) — for tests of the migrations themselves. */
export async function createEmptyDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `kc_e_${inject('pgRunId')}_${randomBytes(4).toString('hex')}`;
  const admin = createDb(inject('pgAdminUrl'), { max: 1 });
  await admin.sql.unsafe(`create database ${name}`);
  await admin.close();
  return {
    name,
    url: databaseUrl(name),
    drop: async () => {
      const a = createDb(inject('pgAdminUrl'), { max: 1 });
      await a.sql.unsafe(`drop database if exists ${name} with (force)`);
      await a.close();
    },
  };
}

export async function createTestDb(opts: { max?: number } = {}): Promise<TestDb> {
  const name = `kc_t_${inject('pgRunId')}_${randomBytes(4).toString('hex')}`;
  const admin = createDb(inject('pgAdminUrl'), { max: 1 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.sql.unsafe(`create database ${name} template ${inject('pgTemplate')}`);
        break;
      } catch (err) {
        // two files cloning the template at the same instant: PostgreSQL refuses the second; retry
        if (attempt < 20 && /being accessed by other users/.test((err as Error).message)) {
          await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
          continue;
        }
        throw err;
      }
    }
  } finally {
    await admin.close();
  }
  const url = databaseUrl(name);
  const handle = createDb(url, { max: opts.max ?? 20 });
  return { ...handle, url, name };
}
