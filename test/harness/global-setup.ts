// One PostgreSQL for the whole run: embedded (a throwaway cluster) unless TEST_DATABASE_URL points at
// a server. A migrated template database is built once; each test file clones it (test/harness/db.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDb } from '@/db/client';
import { type EmbeddedServer, startEmbeddedPostgres } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
    pgRunId: string;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const runId = randomBytes(4).toString('hex');
  let embedded: EmbeddedServer | undefined;
  let tmp: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-test-pg-'));
    embedded = await startEmbeddedPostgres({ dir: tmp, persistent: false });
    adminUrl = embedded.url('postgres');
  }
  const template = `kc_tpl_${runId}`;
  const admin = createDb(adminUrl, { max: 1 });
  await admin.sql.unsafe(`create database ${template}`);
  const tpl = createDb(withDatabase(adminUrl, template), { max: 1 });
  try {
    await runMigrations(tpl.db);
  } finally {
    await tpl.close();
  }
  await admin.close();

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  project.provide('pgRunId', runId);

  return async () => {
    // Drop what this run created (matters on an external server), then stop the embedded one.
    const a = createDb(adminUrl!, { max: 1 });
    try {
      const dbs = await a.sql<
        { datname: string }[]
      >`select datname from pg_database where datname like ${`kc_%${runId}%`}`;
      for (const { datname } of dbs) await a.sql.unsafe(`drop database if exists ${datname} with (force)`);
    } finally {
      await a.close();
    }
    await embedded?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  };
}
