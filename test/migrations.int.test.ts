import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '@/db/client';
import { runMigrations } from '@/db/migrate';
import { createEmptyDatabase } from './harness/db';

const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const d of drops) await d();
});

const EXPECTED_TABLES = [
  'users',
  'auth_sessions',
  'auth_accounts',
  'auth_verifications',
  'kiloclaw_subscriptions',
  'kiloclaw_earlybird_purchases',
  'kiloclaw_email_log',
  'stripe_webhook_events',
  'kiloclaw_instances',
  'kiloclaw_pairing_cache',
];

describe('migrations', () => {
  it('build every table on an empty database, and re-applying them changes nothing', async () => {
    const empty = await createEmptyDatabase();
    drops.push(empty.drop);
    const h = createDb(empty.url, { max: 1 });
    try {
      await runMigrations(h.db);
      const tables = await h.sql<{ table_name: string }[]>`
        select table_name from information_schema.tables where table_schema = 'public'`;
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
      const before = (await h.sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`)[0]?.n;

      await h.sql`insert into users (id, name, email) values ('u1', 'Kept', 'kept@example.test')`;
      await runMigrations(h.db);
      const after = (await h.sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`)[0]?.n;
      expect(before).toBeGreaterThan(0);
      expect(after).toBe(before);
      const kept = await h.sql`select name from users where id = 'u1'`;
      expect(kept[0]?.name).toBe('Kept');
    } finally {
      await h.close();
    }
  });

  it('lets replicas starting together migrate one at a time, with no error and each migration applied once', async () => {
    const empty = await createEmptyDatabase();
    drops.push(empty.drop);
    const replicas = [1, 2, 3].map(() => createDb(empty.url, { max: 2 }));
    try {
      const results = await Promise.allSettled(replicas.map((r) => runMigrations(r.db)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const journal = (await import('../drizzle/meta/_journal.json', { with: { type: 'json' } })).default as {
        entries: unknown[];
      };
      const applied = (
        await replicas[0]!.sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`
      )[0]?.n;
      expect(applied).toBe(journal.entries.length);
    } finally {
      for (const r of replicas) await r.close();
    }
  });

  it('enforces one subscription row per user and unique email-log claims', async () => {
    const empty = await createEmptyDatabase();
    drops.push(empty.drop);
    const h = createDb(empty.url, { max: 1 });
    try {
      await runMigrations(h.db);
      await h.sql`insert into users (id, name, email) values ('u1', 'A', 'a@example.test')`;
      await h.sql`insert into kiloclaw_subscriptions (user_id, status) values ('u1', 'trialing')`;
      await expect(h.sql`insert into kiloclaw_subscriptions (user_id, status) values ('u1', 'active')`).rejects.toThrow(
        /unique/i,
      );
      await h.sql`insert into kiloclaw_email_log (user_id, email_type) values ('u1', 'trial_ending')`;
      await expect(
        h.sql`insert into kiloclaw_email_log (user_id, email_type) values ('u1', 'trial_ending')`,
      ).rejects.toThrow(/unique/i);
    } finally {
      await h.close();
    }
  });
});
