// Contract of the two approval paths against the pinned openclaw: the pairing worker (gateway
// protocol) and the CLI leave the same state behind — the request gone, the sender on openclaw's
// allow-list, the first sender made command owner, the device paired — and both ask openclaw to
// tell the sender (the gateway logs the attempt; offline, it fails, which must not fail the approval).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApproveResponse,
  ChannelPairingListResponse,
  DevicePairingListResponse,
  HealthResponse,
} from '@/contracts/controller';
import { controllerToken } from '@/contracts/controller-token';
import { eventually } from '../harness/eventually';
import {
  childEnv,
  createChannelRequest,
  createDeviceRequest,
  createOpenclawHome,
  ensureOpenclaw,
  type OpenclawHome,
  type RunningController,
  run,
  runOpenclaw,
  startController,
} from '../harness/openclaw';

const TOKEN = controllerToken('integration-secret', 'instance-approve-paths');
// A configured Telegram account with DM pairing, as a customer's instance has it (the token is fake:
// the gateway's Telegram connection and the approval notice fail offline, nothing else does).
const CONFIG = {
  gateway: { mode: 'local' },
  channels: { telegram: { enabled: true, botToken: '123456:FAKE-token-for-tests', dmPolicy: 'pairing' } },
};

describe('approval paths against the real openclaw', { timeout: 300_000 }, () => {
  let home: OpenclawHome;
  let viaGateway: RunningController; // supervises the gateway; approvals through the pairing worker
  let viaCli: RunningController; // same state, pairing worker off: approvals through the CLI

  beforeAll(async () => {
    ensureOpenclaw();
    home = createOpenclawHome(CONFIG);
    viaGateway = await startController(home, { token: TOKEN });
    await eventually(
      async () => {
        const health = HealthResponse.parse(
          (await fetch(`${viaGateway.base}/_kilo/health`).then((r) => r.json())) as unknown,
        );
        return health.approvals === 'gateway' ? health : undefined;
      },
      { timeoutMs: 200_000, intervalMs: 500 },
    );
    viaCli = await startController(home, {
      token: TOKEN,
      gateway: 'off',
      gatewayPort: viaGateway.gatewayPort,
      gatewayToken: viaGateway.gatewayToken,
      env: { CONTROLLER_PAIRING_WORKER: 'off' },
    });
  }, 300_000);

  afterAll(async () => {
    await Promise.all([viaGateway?.stop(), viaCli?.stop()]);
    home?.remove();
  }, 120_000);

  const allowList = async () => {
    const runtime = ensureOpenclaw();
    const fixture = join(import.meta.dirname, 'fixtures', 'read-allow-list.mjs');
    const result = await run(runtime.nodeBin, [fixture, runtime.toolsDir, 'telegram'], childEnv(home.env));
    if (result.code !== 0) throw new Error(result.stderr.slice(-500));
    return JSON.parse(result.stdout.trim()) as string[];
  };
  const channelCodes = async (c: RunningController) =>
    ChannelPairingListResponse.parse((await c.get('/_kilo/pairing/channels')).body).requests.map((r) => r.code);
  const deviceIds = async (c: RunningController) =>
    DevicePairingListResponse.parse((await c.get('/_kilo/pairing/devices')).body).requests.map((r) => r.requestId);

  it('approves a channel request either way with the same result: gone, allowed, owner set', async () => {
    const alice = await createChannelRequest(home, { id: '700001', meta: { username: 'alice' } });
    const bob = await createChannelRequest(home, { id: '700002', meta: { username: 'bob' } });
    await eventually(async () => ((await channelCodes(viaGateway)).length === 2 ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });

    const fast = await viaGateway.post('/_kilo/pairing/channels/approve', { channel: 'telegram', code: alice.code });
    expect(fast.status).toBe(200);
    expect(ApproveResponse.parse(fast.body)).toEqual({
      success: true,
      message: 'Approved telegram sender 700001.',
      path: 'gateway',
    });
    // Answered only once committed: the very next list read no longer has it.
    expect(await channelCodes(viaGateway)).toEqual([bob.code]);

    const slow = await viaCli.post('/_kilo/pairing/channels/approve', { channel: 'telegram', code: bob.code });
    expect(slow.status).toBe(200);
    expect(ApproveResponse.parse(slow.body)).toMatchObject({ success: true, path: 'cli' });
    expect(await channelCodes(viaCli)).toEqual([]);

    expect(await allowList()).toEqual(['700001', '700002']);
    const cliView = await runOpenclaw(home, ['pairing', 'list', 'telegram', '--json']);
    expect(JSON.parse(cliView.stdout).requests).toEqual([]);
    const config = JSON.parse(
      await import('node:fs').then((fs) => fs.readFileSync(join(home.stateDir, 'openclaw.json'), 'utf8')),
    ) as { commands?: { ownerAllowFrom?: string[] } };
    expect(config.commands?.ownerAllowFrom).toEqual(['telegram:700001']);
    // Both paths asked openclaw to tell the sender (offline the notice fails; the approval stands).
    await eventually(
      async () =>
        /DM pairing approval notification failed channel=telegram/.test(viaGateway.output()) ? true : undefined,
      { timeoutMs: 60_000 },
    );
  });

  it('approves a device request either way with the same result: gone and paired', async () => {
    const one = await createDeviceRequest(home, { displayName: 'Laptop via gateway' });
    const two = await createDeviceRequest(home, { displayName: 'Laptop via CLI' });
    await eventually(async () => ((await deviceIds(viaGateway)).length === 2 ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });

    const fast = await viaGateway.post('/_kilo/pairing/devices/approve', { requestId: one.requestId });
    expect(ApproveResponse.parse(fast.body)).toMatchObject({ success: true, path: 'gateway' });
    expect(await deviceIds(viaGateway)).toEqual([two.requestId]);
    const slow = await viaCli.post('/_kilo/pairing/devices/approve', { requestId: two.requestId });
    expect(ApproveResponse.parse(slow.body)).toMatchObject({ success: true, path: 'cli' });
    expect(await deviceIds(viaCli)).toEqual([]);

    const listed = await runOpenclaw(home, ['devices', 'list', '--json', '--token', viaGateway.gatewayToken], {
      gatewayPort: viaGateway.gatewayPort,
    });
    const paired = (JSON.parse(listed.stdout) as { paired: Array<{ deviceId: string; approvedVia: string }> }).paired;
    expect(paired.map((d) => [d.deviceId, d.approvedVia]).sort()).toEqual(
      [
        [one.deviceId, 'owner'],
        [two.deviceId, 'owner'],
      ].sort(),
    );
  });

  it('answers an unknown code the way the CLI does, whichever path is on', async () => {
    const res = await viaGateway.post('/_kilo/pairing/channels/approve', { channel: 'telegram', code: 'ZZZZ9999' });
    expect(res.status).toBe(500);
    expect(ApproveResponse.parse(res.body).message).toMatch(/No pending pairing request found for code "ZZZZ9999"/);
  });
});
