// The state-database path must return exactly what the CLI does: these pin openclaw's rules.
import { describe, expect, it } from 'vitest';
import {
  type ChannelRequestRow,
  channelRequestsFromRows,
  type DevicePendingRow,
  devicePendingFromRows,
} from '@/controller/openclaw-rules';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const iso = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

function row(id: string, createdMinAgo: number, extra: Partial<ChannelRequestRow> = {}): ChannelRequestRow {
  return {
    account_id: 'default',
    request_id: id,
    code: `CODE${id}`,
    created_at: iso(createdMinAgo),
    last_seen_at: iso(createdMinAgo),
    meta_json: JSON.stringify({ username: `user${id}`, accountId: 'default' }),
    ...extra,
  };
}

describe('channel requests from the state database', () => {
  it('prints a request the way `pairing list --json` does', () => {
    expect(channelRequestsFromRows([row('111', 1)], NOW)).toEqual([
      {
        id: '111',
        code: 'CODE111',
        createdAt: iso(1),
        lastSeenAt: iso(1),
        meta: { username: 'user111', accountId: 'default' },
      },
    ]);
  });

  it('drops requests older than 60 minutes and keeps one exactly 60 minutes old', () => {
    const ids = channelRequestsFromRows([row('old', 61), row('edge', 60), row('new', 5)], NOW).map((r) => r.id);
    expect(ids).toEqual(['edge', 'new']);
  });

  it('keeps at most 3 per account, the 3 seen most recently', () => {
    const rows = [
      row('a', 50, { last_seen_at: iso(1) }),
      row('b', 40, { last_seen_at: iso(40) }),
      row('c', 30, { last_seen_at: iso(2) }),
      row('d', 20, { last_seen_at: iso(3) }),
      row('other', 10, { account_id: 'work', meta_json: '{"accountId":"work"}' }),
    ];
    expect(channelRequestsFromRows(rows, NOW).map((r) => r.id)).toEqual(['a', 'c', 'd', 'other']);
  });

  it('sorts by creation time, then account, then id', () => {
    const same = iso(3);
    const rows = [
      row('z', 3, { created_at: same, account_id: 'b', meta_json: '{"accountId":"b"}' }),
      row('y', 3, { created_at: same }),
      row('x', 3, { created_at: same }),
      row('first', 9),
    ];
    expect(channelRequestsFromRows(rows, NOW).map((r) => r.id)).toEqual(['first', 'z', 'x', 'y']);
  });

  it('normalises meta to trimmed string values and always sets accountId from the row', () => {
    const [request] = channelRequestsFromRows(
      [
        row('1', 1, {
          account_id: ' Work ',
          meta_json: '{"username":"  bob ","age":3,"empty":"  ","accountId":"zzz"}',
        }),
      ],
      NOW,
    );
    expect(request?.meta).toEqual({ username: 'bob', accountId: 'work' });
  });

  it('skips rows with unusable dates or empty codes, and survives broken meta JSON', () => {
    const rows = [
      row('bad-date', 1, { created_at: 'yesterday' }),
      row('no-code', 1, { code: '  ' }),
      row('ok', 1, { meta_json: '{not json' }),
    ];
    const out = channelRequestsFromRows(rows, NOW);
    expect(out.map((r) => r.id)).toEqual(['ok']);
    expect(out[0]?.meta).toEqual({ accountId: 'default' });
  });
});

function device(id: string, tsMinAgo: number, extra: Partial<DevicePendingRow> = {}): DevicePendingRow {
  return {
    request_id: id,
    device_id: `dev-${id}`,
    public_key: 'PUBKEY',
    display_name: 'Laptop',
    platform: 'linux',
    device_family: null,
    client_id: 'test',
    client_mode: 'test',
    browser_origin: null,
    role: 'operator',
    roles_json: '["operator"]',
    scopes_json: '["operator.read"]',
    remote_ip: null,
    silent: 0,
    is_repair: null,
    ts: NOW - tsMinAgo * 60_000,
    refreshed_at_ms: null,
    ...extra,
  };
}

describe('device requests from the state database', () => {
  it('prints a pending device the way `devices list --json` does, newest first', () => {
    const out = devicePendingFromRows([device('a', 4), device('b', 1)], NOW);
    expect(out.map((d) => d.requestId)).toEqual(['b', 'a']);
    expect(out[1]).toEqual({
      requestId: 'a',
      deviceId: 'dev-a',
      publicKey: 'PUBKEY',
      displayName: 'Laptop',
      platform: 'linux',
      clientId: 'test',
      clientMode: 'test',
      role: 'operator',
      roles: ['operator'],
      scopes: ['operator.read'],
      silent: false,
      ts: NOW - 4 * 60_000,
    });
  });

  it('expires a request 5 minutes after it was last refreshed', () => {
    const rows = [device('old', 6), device('refreshed', 6, { refreshed_at_ms: NOW - 60_000 }), device('edge', 5)];
    expect(devicePendingFromRows(rows, NOW).map((d) => d.requestId)).toEqual(['edge', 'refreshed']);
  });
});
