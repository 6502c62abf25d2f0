// End to end on the embedded default: startInstance over tRPC → the local provider runs the real
// controller (src/controller) → which runs the real openclaw gateway; real pending requests are
// created in that instance's openclaw state, listed and approved through the tRPC procedures.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_API_VERSION, ROUTE_UNAVAILABLE_CODE } from '@/contracts/controller';
import { kiloclawInstances } from '@/db/schema';
import { createLocalProvider, type LocalProvider } from '@/instances/providers/local/local-provider';
import { createLogger } from '@/platform/logger';
import type { TestApp } from '../harness/app';
import { signUp, type TestUser } from '../harness/client';
import { createTestDb, type TestDb } from '../harness/db';
import { eventually } from '../harness/eventually';
import { grantAccess, instanceOf, startAppWith } from '../harness/instances';
import { createChannelRequest, createDeviceRequest, ensureOpenclaw, type OpenclawHome } from '../harness/openclaw';

const E2E_TIMEOUT_MS = 300_000; // real CLI calls take seconds each on a busy 2-core machine

let tdb: TestDb;
let dataDir: string;
let provider: LocalProvider;
let app: TestApp;
let user: TestUser;
let home: OpenclawHome;

beforeAll(async () => {
  ensureOpenclaw();
  tdb = await createTestDb();
  dataDir = mkdtempSync(join(tmpdir(), 'kiloclaw-e2e-'));
  provider = createLocalProvider({
    dataDir,
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    controllerEnv: { CONTROLLER_EXTRA_CHANNELS: 'telegram' }, // no bot token offline: list telegram anyway
  });
  app = await startAppWith({ db: tdb.db, provider, startWaitMs: 200_000 });
  user = await signUp(app.url);
  await grantAccess(tdb.db, user.id);

  expect((await user.trpc.kiloclaw.startInstance.mutate()).status).toBe('running');
  const row = (await instanceOf(tdb.db, user.id))!;
  const stateDir = provider.stateDirOf(row.volumeId!);
  const homeDir = provider.homeDirOf(row.volumeId!);
  home = {
    dir: dataDir,
    stateDir,
    home: homeDir,
    env: { HOME: homeDir, OPENCLAW_STATE_DIR: stateDir },
    remove: () => {},
  };
}, E2E_TIMEOUT_MS);

afterAll(async () => {
  await provider?.close();
  await app?.close();
  await tdb?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('pairing end to end on the local provider (real controller, real openclaw)', () => {
  it('runs the instance: the real controller reports its gateway running', async () => {
    const row = (await instanceOf(tdb.db, user.id))!;
    expect(row.status).toBe('running');
    expect(row.controllerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // read from the real controller when it became ready, and the one this app expects
    expect(await user.trpc.kiloclaw.getInstanceStatus.query()).toMatchObject({
      status: 'running',
      controllerVersion: CONTROLLER_API_VERSION,
    });
  });

  it(
    'lists a real pending channel request, approves it, and it is gone',
    async () => {
      const { code } = await createChannelRequest(home, { channel: 'telegram', id: '111222333' });
      const listed = await eventually(
        async () => {
          const list = await user.trpc.kiloclaw.listChannelPairingRequests.query();
          return list.requests.some((r) => r.code === code) ? list : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'the channel request' },
      );
      expect(listed.source).toBe('controller');
      expect(listed.requests.find((r) => r.code === code)).toMatchObject({ channel: 'telegram', id: '111222333' });

      const result = await user.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code });
      expect(result.success).toBe(true);
      expect(result.message).toMatch(/111222333/);
      const after = await user.trpc.kiloclaw.listChannelPairingRequests.query();
      expect(after.requests.map((r) => r.code)).not.toContain(code);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'lists a real pending device request, approves it, and it is gone',
    async () => {
      const { requestId } = await createDeviceRequest(home, { displayName: 'E2E laptop', platform: 'linux' });
      const listed = await eventually(
        async () => {
          const list = await user.trpc.kiloclaw.listDevicePairingRequests.query({ refresh: true });
          return list.requests.some((r) => r.requestId === requestId) ? list : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 1_000, what: 'the device request' },
      );
      expect(listed.source).toBe('controller');
      expect(JSON.stringify(listed)).not.toContain('publicKey');

      const result = await user.trpc.kiloclaw.approveDevicePairingRequest.mutate({ requestId });
      expect(result.success).toBe(true);
      const after = await user.trpc.kiloclaw.listDevicePairingRequests.query();
      expect(after.requests.map((r) => r.requestId)).not.toContain(requestId);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'falls back to exec through the local provider for a device request when the controller lacks the route',
    async () => {
      // An older controller: every pairing route unknown. exec still reaches the real openclaw.
      const older = http.createServer((_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: ROUTE_UNAVAILABLE_CODE, error: 'No controller route' }));
      });
      await new Promise<void>((r) => older.listen(0, '127.0.0.1', r));
      const row = (await instanceOf(tdb.db, user.id))!;
      const setUrl = (url: string) =>
        tdb.db.update(kiloclawInstances).set({ controllerUrl: url }).where(eq(kiloclawInstances.id, row.id));
      await setUrl(`http://127.0.0.1:${(older.address() as AddressInfo).port}`);
      try {
        const { requestId } = await createDeviceRequest(home, { displayName: 'Fallback laptop', platform: 'linux' });
        const listed = await user.trpc.kiloclaw.listDevicePairingRequests.query({ refresh: true });
        expect(listed.source).toBe('fallback');
        expect(listed.requests.map((r) => r.requestId)).toContain(requestId);
        expect(JSON.stringify(listed)).not.toContain('publicKey');

        const result = await user.trpc.kiloclaw.approveDevicePairingRequest.mutate({ requestId });
        expect(result.success).toBe(true);
        const after = await user.trpc.kiloclaw.listDevicePairingRequests.query();
        expect(after.source).toBe('fallback');
        expect(after.requests.map((r) => r.requestId)).not.toContain(requestId);
      } finally {
        await setUrl(row.controllerUrl!);
        older.closeAllConnections();
        await new Promise((r) => older.close(r));
      }
    },
    E2E_TIMEOUT_MS,
  );

  it('stops the instance: the controller and its gateway go, and lists are empty', async () => {
    expect((await user.trpc.kiloclaw.stopInstance.mutate()).status).toBe('stopped');
    expect(await user.trpc.kiloclaw.listChannelPairingRequests.query()).toMatchObject({
      requests: [],
      source: 'not_running',
    });
  }, 60_000);
});
