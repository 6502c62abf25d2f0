// The state-database fast path opens only on the schema it knows, waits for a database that does
// not exist yet, and switches itself off for good on a schema change, a disagreement or errors.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateDbFastPath } from '@/controller/fast-path';
import { silentLogger } from '@/controller/log';
import { EXPECTED_SCHEMA, openStateDb, type SqliteModule } from '@/controller/state-db';
import { FakeClock } from '../harness/fake-clock';

/** A stand-in for node:sqlite that answers PRAGMA table_info from `tables` and records opens. */
function fakeSqlite(tables: Record<string, readonly string[]>, opens: Array<{ path: string; options: unknown }> = []) {
  const mod: SqliteModule = {
    DatabaseSync: class {
      constructor(path: string, options?: unknown) {
        opens.push({ path, options });
      }
      prepare(sql: string) {
        const table = /PRAGMA table_info\((\w+)\)/.exec(sql)?.[1];
        return { all: () => (table ? (tables[table] ?? []).map((name) => ({ name })) : []) };
      }
      close() {}
    } as unknown as SqliteModule['DatabaseSync'],
  };
  return async () => mod;
}

function stateDirWithDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kilo-fast-'));
  mkdirSync(join(dir, 'state'));
  writeFileSync(join(dir, 'state', 'openclaw.sqlite'), '');
  return dir;
}

describe('openStateDb', () => {
  it('opens the database read-only when the tables have exactly the known columns', async () => {
    const opens: Array<{ path: string; options: unknown }> = [];
    const dir = stateDirWithDb();
    const result = await openStateDb(dir, fakeSqlite(EXPECTED_SCHEMA, opens));
    expect(result.ok).toBe(true);
    expect(opens).toEqual([
      { path: join(dir, 'state', 'openclaw.sqlite'), options: expect.objectContaining({ readOnly: true }) },
    ]);
  });

  it('waits (retryable) while the database does not exist yet', async () => {
    const result = await openStateDb(mkdtempSync(join(tmpdir(), 'kilo-fast-')), fakeSqlite(EXPECTED_SCHEMA));
    expect(result).toEqual({ ok: false, reason: 'state database does not exist yet', retryable: true });
  });

  it('refuses for good a table with a column it does not know', async () => {
    const changed = {
      ...EXPECTED_SCHEMA,
      channel_pairing_requests: [...EXPECTED_SCHEMA.channel_pairing_requests!, 'expires_at'],
    };
    const result = await openStateDb(stateDirWithDb(), fakeSqlite(changed));
    expect(result).toMatchObject({ ok: false, retryable: false, reason: expect.stringContaining('extra: expires_at') });
  });

  it('falls back when this Node has no node:sqlite', async () => {
    expect(await openStateDb(stateDirWithDb(), async () => null)).toMatchObject({ ok: false, retryable: false });
  });
});

describe('StateDbFastPath', () => {
  it('retries a missing database at most every 5 s and turns on once it appears', async () => {
    const clock = new FakeClock();
    const dir = mkdtempSync(join(tmpdir(), 'kilo-fast-'));
    const fast = new StateDbFastPath({
      stateDir: dir,
      enabled: true,
      clock,
      log: silentLogger,
      loadSqlite: fakeSqlite(EXPECTED_SCHEMA),
    });
    expect(await fast.prepare()).toBeNull();
    mkdirSync(join(dir, 'state'));
    writeFileSync(join(dir, 'state', 'openclaw.sqlite'), '');
    expect(await fast.prepare()).toBeNull(); // too soon to retry
    await clock.advance(5_000);
    expect(await fast.prepare()).not.toBeNull();
    expect(fast.status()).toEqual({ state: 'on' });
  });

  it('switches off after a disagreement with the CLI, and after three read errors in a row', async () => {
    for (const breakIt of [
      (f: StateDbFastPath) => f.mismatch('channels', { key: 'telegram' }),
      (f: StateDbFastPath) => {
        f.readFailed('channels', new Error('locked'));
        f.readFailed('channels', new Error('locked'));
        f.readSucceeded();
        f.readFailed('channels', new Error('locked'));
        f.readFailed('channels', new Error('locked'));
        expect(f.current()).not.toBeNull(); // a success in between resets the streak
        f.readFailed('channels', new Error('locked'));
      },
    ]) {
      const fast = new StateDbFastPath({
        stateDir: stateDirWithDb(),
        enabled: true,
        clock: new FakeClock(),
        log: silentLogger,
        loadSqlite: fakeSqlite(EXPECTED_SCHEMA),
      });
      expect(await fast.prepare()).not.toBeNull();
      breakIt(fast);
      expect(fast.current()).toBeNull();
      expect(await fast.prepare()).toBeNull();
      expect(fast.status().state).toBe('off');
    }
  });

  it('stays off when configured off', async () => {
    const fast = new StateDbFastPath({
      stateDir: stateDirWithDb(),
      enabled: false,
      clock: new FakeClock(),
      log: silentLogger,
      loadSqlite: fakeSqlite(EXPECTED_SCHEMA),
    });
    expect(await fast.prepare()).toBeNull();
    expect(fast.status()).toEqual({ state: 'off', reason: 'disabled by configuration' });
  });
});
