// States of pairing told as they are, through real tRPC over HTTP on PostgreSQL: a success stays a
// success when the fallback cache cannot be dropped; a stale re-read says it is stale; the
// controller's own bounds ("busy", "timeout") arrive as such; the time budget is ordered so the
// controller reports its own timeout before the app gives up on it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_SLOW_CALL_TIMEOUT_MS,
  CLI_RUN_LIMIT_MS,
  CONTROLLER_API_VERSION,
  CONTROLLER_SLOW_ROUTE_LIMIT_MS,
} from '@/contracts/controller';
import { kiloclawInstances } from '@/db/schema';
import { CONTROLLER_REFRESH_TIMEOUT_MS } from '@/instances/controller-client';
import { checkControllerVersion } from '@/instances/pairing/controller-version';
import { fixedClock } from '@/platform/clock';
import { createLogger } from '@/platform/logger';
import { TEST_SECRETS } from '../harness/app';
import { type TestUser, trpcError } from '../harness/client';
import { type FlyWorld, instanceOf, startFlyWorld, userWithInstance } from '../harness/instances';

const clock = fixedClock('2026-11-29T12:00:00Z');
let w: FlyWorld;

beforeAll(async () => {
  w = await startFlyWorld({ clock });
});
afterAll(async () => {
  await w?.close();
});

/** A user with a running instance and a pending Telegram request; returns the request's code. */
async function runningUser(): Promise<{ u: TestUser; instanceId: string; code: string }> {
  const { u, m, instanceId } = await userWithInstance(w);
  return { u, instanceId, code: m.image.addChannelRequest('telegram', '123123') };
}

/** Points the instance at a stand-in controller answering every call with `status` and `body`. */
async function standInController(instanceId: string, status: number, body: unknown) {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await w.tdb.db
    .update(kiloclawInstances)
    .set({ controllerUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })
    .where(eq(kiloclawInstances.id, instanceId));
  return () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
}

describe('pairing states', () => {
  it('keeps a successful approval a success when the fallback cache cannot be invalidated', async () => {
    const { u, code } = await runningUser();
    await w.tdb.db.execute(sql`ALTER TABLE kiloclaw_pairing_cache RENAME TO kiloclaw_pairing_cache_away`);
    try {
      const result = await u.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code });
      expect(result).toMatchObject({ success: true, message: 'Approved telegram sender 123123.' });
    } finally {
      await w.tdb.db.execute(sql`ALTER TABLE kiloclaw_pairing_cache_away RENAME TO kiloclaw_pairing_cache`);
    }
    expect((await u.trpc.kiloclaw.listChannelPairingRequests.query()).requests).toEqual([]);
  });

  it('passes on a stale re-read with its reason instead of presenting old data as fresh', async () => {
    const { u, instanceId } = await runningUser();
    const close = await standInController(instanceId, 200, {
      requests: [],
      lastUpdated: '2026-11-29T11:58:00.000Z',
      stale: true,
      staleReason: 'openclaw did not answer within 50 s',
      version: 3,
    });
    try {
      const list = await u.trpc.kiloclaw.listChannelPairingRequests.query({ refresh: true });
      expect(list).toMatchObject({
        stale: true,
        staleReason: 'openclaw did not answer within 50 s',
        lastUpdated: '2026-11-29T11:58:00.000Z',
        source: 'controller',
      });
    } finally {
      await close();
    }
  });

  it('tells "busy, try again" when the controller is at its bound of work', async () => {
    const { u, instanceId, code } = await runningUser();
    const close = await standInController(instanceId, 503, {
      success: false,
      code: 'busy',
      message: 'The instance is busy with other openclaw commands (2 running, 8 waiting); try again in a few seconds.',
    });
    try {
      const err = await trpcError(u.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code }));
      expect(err.data?.code).toBe('SERVICE_UNAVAILABLE');
      expect((err.data as { reason?: string }).reason).toBe('instance_busy');
      expect(err.message).toMatch(/busy.*try again/);
    } finally {
      await close();
    }
  });

  it('tells the controller\'s own timeout as "may still go through", not as a silent instance', async () => {
    const { u, instanceId, code } = await runningUser();
    const close = await standInController(instanceId, 504, {
      success: false,
      code: 'timeout',
      message: 'The approval did not finish within 50 s; it may still complete — the list will show it.',
    });
    try {
      const err = await trpcError(u.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code }));
      expect((err.data as { reason?: string }).reason).toBe('controller_timeout');
      expect(err.message).toMatch(/may still go through/);
    } finally {
      await close();
    }
  });

  it('orders the time budget: a CLI run < the controller route limit < what the app waits', () => {
    expect(CLI_RUN_LIMIT_MS).toBeLessThan(CONTROLLER_SLOW_ROUTE_LIMIT_MS);
    expect(CONTROLLER_SLOW_ROUTE_LIMIT_MS).toBeLessThan(APP_SLOW_CALL_TIMEOUT_MS);
    expect(CONTROLLER_REFRESH_TIMEOUT_MS).toBe(APP_SLOW_CALL_TIMEOUT_MS);
  });

  describe('the controller version, read when the instance becomes ready', () => {
    const capture = () => {
      const lines: Array<Record<string, unknown>> = [];
      const logger = createLogger({
        level: 'info',
        destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
      });
      return { lines, logger };
    };
    const versionOf = async (instanceId: string) =>
      (await w.tdb.db.select().from(kiloclawInstances).where(eq(kiloclawInstances.id, instanceId)))[0]
        ?.controllerVersion;

    it('records a mismatch, logs it with the version expected, and shows it on the instance', async () => {
      const { u, instanceId } = await runningUser();
      const close = await standInController(instanceId, 200, { controller: '0.9.0', openclaw: null, node: 'v24' });
      const { lines, logger } = capture();
      try {
        const row = (await instanceOf(w.tdb.db, u.id))!;
        const check = await checkControllerVersion(
          { db: w.tdb.db, logger },
          { baseUrl: row.controllerUrl!, secret: TEST_SECRETS.CONTROLLER_SECRET, instanceId },
        );
        expect(check).toMatchObject({ ok: true, version: '0.9.0', matches: false });
      } finally {
        await close();
      }
      expect(await versionOf(instanceId)).toBe('0.9.0');
      expect(lines).toContainEqual(
        expect.objectContaining({
          msg: 'controller version differs from the one this app expects',
          controllerVersion: '0.9.0',
          expected: CONTROLLER_API_VERSION,
        }),
      );
      expect(await u.trpc.kiloclaw.getInstanceStatus.query()).toMatchObject({ controllerVersion: '0.9.0' });
    });

    it('logs a failed probe instead of swallowing it, and records the version as unknown', async () => {
      const { instanceId } = await runningUser();
      const close = await standInController(instanceId, 500, { error: 'Internal error' });
      const { lines, logger } = capture();
      try {
        const [row] = await w.tdb.db.select().from(kiloclawInstances).where(eq(kiloclawInstances.id, instanceId));
        const check = await checkControllerVersion(
          { db: w.tdb.db, logger },
          { baseUrl: row!.controllerUrl!, secret: TEST_SECRETS.CONTROLLER_SECRET, instanceId },
        );
        expect(check).toEqual({ ok: false, reason: 'answered HTTP 500' });
      } finally {
        await close();
      }
      expect(await versionOf(instanceId)).toBeNull();
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'controller version probe failed', reason: 'answered HTTP 500', instanceId }),
      );
    });
  });
});
