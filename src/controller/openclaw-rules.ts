// openclaw 2026.9.x's own rules for what `pairing list` and `devices list` return, restated so the
// read-only state-database path gives exactly the CLI's answer: same normalisation, same expiry
// (60 min channel / 5 min device), same cap (3 per channel and account, newest lastSeenAt kept),
// same order. Pure functions over rows; state-db.ts does the I/O.

import { CHANNEL_PENDING_CAP, CHANNEL_PENDING_TTL_MS, DEVICE_PENDING_TTL_MS } from '../contracts/openclaw-limits';

/** One request as `openclaw pairing list <channel> --json` prints it. */
export interface RawChannelRequest {
  id: string;
  code: string;
  createdAt: string;
  lastSeenAt: string;
  meta?: Record<string, string>;
}

/** One pending device as `openclaw devices list --json` prints it (publicKey included: never serve it). */
export interface RawDeviceRequest {
  requestId: string;
  deviceId: string;
  publicKey?: string;
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  clientId?: string;
  clientMode?: string;
  browserOrigin?: string;
  role?: string;
  roles?: unknown;
  scopes?: unknown;
  remoteIp?: string;
  silent?: boolean;
  isRepair?: boolean;
  ts: number;
}

/** A row of channel_pairing_requests, read ordered by created_at, account_id, request_id. */
export interface ChannelRequestRow {
  account_id: unknown;
  request_id: unknown;
  code: unknown;
  created_at: unknown;
  last_seen_at: unknown;
  meta_json: unknown;
}

/** A row of device_pairing_pending, in table order. */
export interface DevicePendingRow {
  request_id: unknown;
  device_id: unknown;
  public_key: unknown;
  display_name: unknown;
  platform: unknown;
  device_family: unknown;
  client_id: unknown;
  client_mode: unknown;
  browser_origin: unknown;
  role: unknown;
  roles_json: unknown;
  scopes_json: unknown;
  remote_ip: unknown;
  silent: unknown;
  is_repair: unknown;
  ts: unknown;
  refreshed_at_ms: unknown;
}

const trimmed = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return t ? t : undefined;
};

const timestampMs = (value: unknown): number | undefined => {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
};

const accountIdOf = (value: unknown): string => trimmed(value)?.toLowerCase() || 'default';

const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function stringMeta(value: unknown): Record<string, string> | undefined {
  if (!isPlainRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    const t = trimmed(entry);
    if (t) out[key] = t;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Rows of one channel → the list the CLI prints for it at `nowMs`. */
export function channelRequestsFromRows(rows: readonly ChannelRequestRow[], nowMs: number): RawChannelRequest[] {
  const requests: RawChannelRequest[] = [];
  for (const row of rows) {
    let parsedMeta: Record<string, string> | undefined;
    if (typeof row.meta_json === 'string' && row.meta_json) {
      try {
        parsedMeta = stringMeta(JSON.parse(row.meta_json));
      } catch {
        parsedMeta = undefined;
      }
    }
    const id = trimmed(row.request_id);
    const code = trimmed(row.code);
    const createdAt = trimmed(row.created_at);
    const lastSeenAt = trimmed(row.last_seen_at) ?? createdAt;
    if (!id || !code || !createdAt || !lastSeenAt) continue;
    if (timestampMs(createdAt) === undefined || timestampMs(lastSeenAt) === undefined) continue;
    const meta = stringMeta({ ...parsedMeta, accountId: accountIdOf(row.account_id) });
    requests.push({ id, code, createdAt, lastSeenAt, ...(meta ? { meta } : {}) });
  }

  const live = requests.filter((r) => {
    const created = timestampMs(r.createdAt);
    return created !== undefined && nowMs - created <= CHANNEL_PENDING_TTL_MS;
  });

  const capped = capPerAccount(live);
  return capped.toSorted(
    (a, b) =>
      a.createdAt.localeCompare(b.createdAt) ||
      requestAccount(a).localeCompare(requestAccount(b)) ||
      a.id.localeCompare(b.id),
  );
}

const requestAccount = (r: RawChannelRequest): string => accountIdOf(r.meta?.accountId);
const lastSeenMs = (r: RawChannelRequest): number => timestampMs(r.lastSeenAt) ?? timestampMs(r.createdAt) ?? 0;

function capPerAccount(requests: RawChannelRequest[]): RawChannelRequest[] {
  if (requests.length <= CHANNEL_PENDING_CAP) return requests;
  const groups = new Map<string, Array<{ index: number; seenMs: number }>>();
  requests.forEach((r, index) => {
    const key = requestAccount(r);
    const entry = { index, seenMs: lastSeenMs(r) };
    const list = groups.get(key);
    if (list) list.push(entry);
    else groups.set(key, [entry]);
  });
  const dropped = new Set<number>();
  for (const entries of groups.values()) {
    if (entries.length <= CHANNEL_PENDING_CAP) continue;
    // Stable sort: among equal lastSeenAt, the earlier row goes first (as openclaw's toSorted does).
    const oldestFirst = entries.toSorted((a, b) => a.seenMs - b.seenMs);
    for (const { index } of oldestFirst.slice(0, oldestFirst.length - CHANNEL_PENDING_CAP)) dropped.add(index);
  }
  return requests.filter((_, index) => !dropped.has(index));
}

/** Rows of device_pairing_pending → the `pending` list `devices list` prints at `nowMs`. */
export function devicePendingFromRows(rows: readonly DevicePendingRow[], nowMs: number): RawDeviceRequest[] {
  const live: RawDeviceRequest[] = [];
  for (const row of rows) {
    const ts = Number(row.ts);
    const refreshed =
      row.refreshed_at_ms === null || row.refreshed_at_ms === undefined ? ts : Number(row.refreshed_at_ms);
    if (!(nowMs - refreshed <= DEVICE_PENDING_TTL_MS)) continue;
    const record: RawDeviceRequest = {
      requestId: String(row.request_id),
      deviceId: String(row.device_id),
      publicKey: String(row.public_key),
      ts,
    };
    const text = (key: keyof RawDeviceRequest, value: unknown) => {
      if (value !== null && value !== undefined) (record as unknown as Record<string, unknown>)[key] = String(value);
    };
    text('displayName', row.display_name);
    text('platform', row.platform);
    text('deviceFamily', row.device_family);
    text('clientId', row.client_id);
    text('clientMode', row.client_mode);
    text('browserOrigin', row.browser_origin);
    text('role', row.role);
    const roles: unknown = typeof row.roles_json === 'string' ? JSON.parse(row.roles_json) : null;
    if (roles !== null && roles !== undefined) record.roles = roles;
    const scopes: unknown = typeof row.scopes_json === 'string' ? JSON.parse(row.scopes_json) : null;
    if (scopes !== null && scopes !== undefined) record.scopes = scopes;
    text('remoteIp', row.remote_ip);
    if (row.silent !== null && row.silent !== undefined) record.silent = Number(row.silent) !== 0;
    if (row.is_repair !== null && row.is_repair !== undefined) record.isRepair = Number(row.is_repair) !== 0;
    live.push(record);
  }
  return live.toSorted((a, b) => b.ts - a.ts);
}
