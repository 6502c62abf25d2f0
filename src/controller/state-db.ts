// Read-only fast path on openclaw's state database ($OPENCLAW_STATE_DIR/state/openclaw.sqlite).
// A query takes milliseconds where the CLI takes seconds, so the cache can poll it every second.
// It is only used when the tables have exactly the columns this code was written against
// (checked at open); any difference, or a Node without node:sqlite, means: use the CLI.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../platform/error-message';
import {
  type ChannelRequestRow,
  channelRequestsFromRows,
  type DevicePendingRow,
  devicePendingFromRows,
  type RawChannelRequest,
  type RawDeviceRequest,
} from './openclaw-rules';

/** The columns openclaw 2026.9.x has; the fast path refuses any other schema. */
export const EXPECTED_SCHEMA: Readonly<Record<string, readonly string[]>> = {
  channel_pairing_requests: [
    'channel_key',
    'account_id',
    'request_id',
    'code',
    'created_at',
    'last_seen_at',
    'meta_json',
  ],
  device_pairing_pending: [
    'request_id',
    'device_id',
    'public_key',
    'display_name',
    'platform',
    'device_family',
    'client_id',
    'client_mode',
    'browser_origin',
    'role',
    'roles_json',
    'scopes_json',
    'remote_ip',
    'silent',
    'is_repair',
    'ts',
    'refreshed_at_ms',
  ],
};

const BUSY_TIMEOUT_MS = 1_000; // a read waits at most this long for a checkpoint; the CLI is the fallback

export interface StateDbReader {
  readChannel(channel: string, nowMs: number): RawChannelRequest[];
  readDevices(nowMs: number): RawDeviceRequest[];
  /**
   * SQLite's data_version: moves whenever another connection commits (openclaw's CLI or gateway),
   * so a poll can tell "nothing changed" without running the queries. Costs no disk read.
   */
  dataVersion(): number;
  /**
   * Whether an approval of (channel, code) for `senderId` is committed: the code is no longer
   * pending and the sender is on the channel's allow-list. null when this schema cannot tell.
   */
  channelApproved(channel: string, accountId: string, code: string, senderId: string): boolean | null;
  close(): void;
}

/** The allow-list columns the approval check reads (an optional extra: the lists never depend on it). */
const ALLOW_ENTRY_COLUMNS = ['channel_key', 'account_id', 'entry', 'sort_order', 'updated_at'];

export type StateDbOpen =
  | { ok: true; reader: StateDbReader }
  /** `retryable`: the database does not exist yet (openclaw creates it on first use). */
  | { ok: false; reason: string; retryable: boolean };

/** The slice of node:sqlite this module uses (typed here: @types/node 20 does not know it). */
interface SqliteStatement {
  all(...params: unknown[]): unknown[];
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  close(): void;
}
export interface SqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean; timeout?: number }) => SqliteDatabase;
}
export type SqliteLoader = () => Promise<SqliteModule | null>;

/** Loads node:sqlite when the running Node has it (Node 22.5+; the controller runs on Node 24). */
const loadNodeSqlite: SqliteLoader = async () => {
  const specifier = 'node:sqlite'; // not a literal, so bundlers and Node 20 test runs leave it alone
  try {
    const mod = (await import(specifier)) as Partial<SqliteModule>;
    return typeof mod.DatabaseSync === 'function' ? (mod as SqliteModule) : null;
  } catch {
    return null;
  }
};

function stateDbPath(stateDir: string): string {
  return join(stateDir, 'state', 'openclaw.sqlite');
}

export async function openStateDb(stateDir: string, loadSqlite: SqliteLoader = loadNodeSqlite): Promise<StateDbOpen> {
  const sqlite = await loadSqlite();
  if (!sqlite) return { ok: false, reason: 'this Node has no node:sqlite', retryable: false };
  const path = stateDbPath(stateDir);
  if (!existsSync(path)) return { ok: false, reason: 'state database does not exist yet', retryable: true };

  let db: SqliteDatabase;
  try {
    db = new sqlite.DatabaseSync(path, { readOnly: true, timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    return { ok: false, reason: `cannot open state database: ${errorMessage(error)}`, retryable: true };
  }
  try {
    const mismatch = schemaMismatch(db);
    if (mismatch) {
      db.close();
      return { ok: false, ...mismatch };
    }
    const channelRows = db.prepare(
      'SELECT account_id, request_id, code, created_at, last_seen_at, meta_json FROM channel_pairing_requests ' +
        'WHERE channel_key = ? ORDER BY created_at ASC, account_id ASC, request_id ASC',
    );
    const deviceRows = db.prepare('SELECT * FROM device_pairing_pending');
    const dataVersion = db.prepare('PRAGMA data_version');
    const pendingCode = db.prepare(
      'SELECT count(*) AS n FROM channel_pairing_requests WHERE channel_key = ? AND upper(code) = upper(?)',
    );
    const allowColumns = columnsOf(db, 'channel_pairing_allow_entries');
    const allowEntry = ALLOW_ENTRY_COLUMNS.every((c) => allowColumns.includes(c))
      ? db.prepare(
          'SELECT count(*) AS n FROM channel_pairing_allow_entries WHERE channel_key = ? AND account_id = ? AND entry = ?',
        )
      : null;
    const count = (rows: unknown[]) => Number((rows[0] as { n?: unknown } | undefined)?.n ?? 0);
    return {
      ok: true,
      reader: {
        readChannel: (channel, nowMs) =>
          channelRequestsFromRows(channelRows.all(channel.trim().toLowerCase()) as ChannelRequestRow[], nowMs),
        readDevices: (nowMs) => devicePendingFromRows(deviceRows.all() as DevicePendingRow[], nowMs),
        dataVersion: () => {
          const version = Number((dataVersion.all()[0] as { data_version?: unknown } | undefined)?.data_version);
          if (!Number.isInteger(version)) throw new Error('PRAGMA data_version gave no number');
          return version;
        },
        channelApproved: (channel, accountId, code, senderId) => {
          if (!allowEntry) return null;
          const key = channel.trim().toLowerCase();
          if (count(pendingCode.all(key, code)) > 0) return false;
          return count(allowEntry.all(key, accountId.trim().toLowerCase() || 'default', senderId)) > 0;
        },
        close: () => db.close(),
      },
    };
  } catch (error) {
    db.close();
    return { ok: false, reason: `state database check failed: ${errorMessage(error)}`, retryable: true };
  }
}

/** A missing table may still be created (openclaw migrates on first use); different columns will not change back. */
const columnsOf = (db: SqliteDatabase, table: string): string[] =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);

function schemaMismatch(db: SqliteDatabase): { reason: string; retryable: boolean } | null {
  for (const [table, expected] of Object.entries(EXPECTED_SCHEMA)) {
    const columns = columnsOf(db, table);
    if (columns.length === 0) return { reason: `table ${table} is missing`, retryable: true };
    const missing = expected.filter((c) => !columns.includes(c));
    const extra = columns.filter((c) => !expected.includes(c));
    if (missing.length || extra.length) {
      return {
        reason: `table ${table} differs from the known schema (missing: ${missing.join(',') || '-'}; extra: ${extra.join(',') || '-'})`,
        retryable: false,
      };
    }
  }
  return null;
}
