// The controller against the real openclaw 2026.9.6 on Node 24: a real gateway supervised by
// the controller, real pending channel and device requests, listed through the state-database
// fast path and through the CLI (they must agree), approved with the real CLI via the HTTP API.
// Slow by nature: every CLI call costs seconds here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApproveResponse,
  ChannelPairingListResponse,
  DevicePairingListResponse,
  GatewayStatus,
  VersionResponse,
} from '@/contracts/controller';
import { controllerToken } from '@/contracts/controller-token';
import { eventually } from '../harness/eventually';
import {
  createChannelRequest,
  createDeviceRequest,
  createOpenclawHome,
  ensureOpenclaw,
  type OpenclawHome,
  type RunningController,
  runOpenclaw,
  startController,
} from '../harness/openclaw';

const TOKEN = controllerToken('integration-secret', 'instance-int');

describe('controller with the real openclaw', { timeout: 240_000 }, () => {
  let home: OpenclawHome;
  let fast: RunningController; // supervises the gateway, reads the state database
  let viaCli: RunningController; // same state, fast path off: every list is a CLI run

  beforeAll(async () => {
    ensureOpenclaw();
    home = createOpenclawHome();
    fast = await startController(home, { token: TOKEN, extraChannels: ['telegram'] });
    await eventually(
      async () => {
        const status = GatewayStatus.parse((await fast.get('/_kilo/gateway/status')).body);
        return status.state === 'running' ? status : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 500, what: 'the gateway to run' },
    );
    viaCli = await startController(home, {
      token: TOKEN,
      gateway: 'off',
      gatewayPort: fast.gatewayPort,
      gatewayToken: fast.gatewayToken,
      extraChannels: ['telegram'],
      fastPath: false,
    });
  }, 240_000);

  afterAll(async () => {
    await Promise.all([fast?.stop(), viaCli?.stop()]);
    home?.remove();
  }, 120_000);

  const channels = async (c: RunningController, refresh = false) =>
    ChannelPairingListResponse.parse((await c.get(`/_kilo/pairing/channels${refresh ? '?refresh=true' : ''}`)).body);
  const devices = async (c: RunningController, refresh = false) =>
    DevicePairingListResponse.parse((await c.get(`/_kilo/pairing/devices${refresh ? '?refresh=true' : ''}`)).body);

  let alice: { code: string };
  let device: { requestId: string; deviceId: string };

  it('reports the gateway running and the openclaw version', async () => {
    const status = GatewayStatus.parse((await fast.get('/_kilo/gateway/status')).body);
    expect(status).toMatchObject({ state: 'running', restarts: 0, lastExit: null });
    expect(status.pid).toEqual(expect.any(Number));
    const version = await eventually(
      async () => {
        const v = VersionResponse.parse((await fast.get('/_kilo/version')).body);
        return v.openclaw ? v : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the openclaw version' },
    );
    expect(version.openclaw).toMatch(/^OpenClaw 2026\.9\.6/);
    expect(version.node).toMatch(/^v24\./);
  });

  it('shows new requests within seconds through the fast path, exactly as the CLI lists them', async () => {
    alice = await createChannelRequest(home, { id: '111222333', meta: { username: 'alice', firstName: 'Alice' } });
    await createChannelRequest(home, { id: '444555666', meta: { username: 'bob' } });
    device = await createDeviceRequest(home, { displayName: 'Integration laptop' });
    const createdAt = Date.now();

    const fastChannels = await eventually(
      async () => {
        const list = await channels(fast);
        return list.requests.length === 2 ? list : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'both channel requests' },
    );
    // Polled every second: visible within ~2 s (generous bound: the CI machine is shared).
    expect((Date.now() - createdAt) / 1000).toBeLessThan(8);
    expect(fastChannels.requests.map((r) => [r.channel, r.id])).toEqual([
      ['telegram', '111222333'],
      ['telegram', '444555666'],
    ]);
    expect(fastChannels.requests[0]).toMatchObject({
      code: alice.code,
      meta: { username: 'alice', firstName: 'Alice', accountId: 'default' },
    });

    const fastDevices = await eventually(
      async () => {
        const list = await devices(fast);
        return list.requests.length === 1 ? list : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the device request' },
    );
    expect(fastDevices.requests[0]).toMatchObject({
      requestId: device.requestId,
      deviceId: device.deviceId,
      role: 'operator',
    });
    expect(JSON.stringify(fastDevices)).not.toContain('publicKey');

    // openclaw itself (through the gateway) sees the device request.
    const cliDevices = await runOpenclaw(home, ['devices', 'list', '--json', '--token', fast.gatewayToken], {
      gatewayPort: fast.gatewayPort,
    });
    expect(cliDevices.code).toBe(0);
    expect(
      (JSON.parse(cliDevices.stdout) as { pending: Array<{ requestId: string }> }).pending.map((p) => p.requestId),
    ).toEqual([device.requestId]);

    // The CLI path gives the same lists.
    expect((await channels(viaCli, true)).requests).toEqual(fastChannels.requests);
    expect((await devices(viaCli, true)).requests).toEqual(fastDevices.requests);
  });

  it('approves a channel request and a device request with the real CLI, and they disappear', async () => {
    const channelApproval = await fast.post('/_kilo/pairing/channels/approve', {
      channel: 'telegram',
      code: alice.code.toLowerCase(),
    });
    expect(channelApproval.status).toBe(200);
    // telegram is not a configured DM-pairing account here, so the gateway does not list it: the CLI approves
    expect(ApproveResponse.parse(channelApproval.body)).toEqual({
      success: true,
      message: 'Approved telegram sender 111222333.',
      path: 'cli',
    });
    expect((await channels(fast)).requests.map((r) => r.id)).toEqual(['444555666']);

    const deviceApproval = await fast.post('/_kilo/pairing/devices/approve', { requestId: device.requestId });
    expect(deviceApproval.status).toBe(200);
    expect(ApproveResponse.parse(deviceApproval.body)).toMatchObject({ success: true });
    expect((await devices(fast)).requests).toEqual([]);

    // openclaw agrees (the second controller lists through the CLI), and the device is now paired.
    expect((await channels(viaCli, true)).requests.map((r) => r.id)).toEqual(['444555666']);
    expect((await devices(viaCli, true)).requests).toEqual([]);
    const deviceList = JSON.parse(
      (
        await runOpenclaw(home, ['devices', 'list', '--json', '--token', fast.gatewayToken], {
          gatewayPort: fast.gatewayPort,
        })
      ).stdout,
    ) as { pending: unknown[]; paired: Array<{ deviceId: string }> };
    expect(deviceList.paired.map((d) => d.deviceId)).toContain(device.deviceId);
  });

  it('answers 500 with openclaw’s reason for a code that is not pending', async () => {
    const res = await fast.post('/_kilo/pairing/channels/approve', { channel: 'telegram', code: 'ZZZZ9999' });
    expect(res.status).toBe(500);
    expect(ApproveResponse.parse(res.body)).toMatchObject({
      success: false,
      message: expect.stringContaining('No pending pairing request found'),
    });
  });

  it('lets exactly one of two simultaneous approvals of the same code succeed', async () => {
    const racer = await createChannelRequest(home, { id: '777888999', meta: { username: 'racer' } });
    const [first, second] = await Promise.all([
      fast.post('/_kilo/pairing/channels/approve', { channel: 'telegram', code: racer.code }),
      fast.post('/_kilo/pairing/channels/approve', { channel: 'telegram', code: racer.code }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 500]);
    const loser = first.status === 500 ? first : second;
    expect(ApproveResponse.parse(loser.body).message).toContain('No pending pairing request found');
    expect((await channels(fast)).requests.map((r) => r.id)).not.toContain('777888999');
  });

  it('starts at most two CLI runs for five simultaneous ?refresh=true requests', async () => {
    const runs = () =>
      viaCli
        .output()
        .split('\n')
        .filter((l) => l.includes('"msg":"pairing refresh"') && l.includes('"kind":"channels"')).length;
    const before = runs();
    const answers = await Promise.all(Array.from({ length: 5 }, () => channels(viaCli, true)));
    expect(new Set(answers.map((a) => JSON.stringify(a.requests))).size).toBe(1);
    expect(runs() - before).toBeLessThanOrEqual(2);
    expect(runs() - before).toBeGreaterThanOrEqual(1);
  });

  it('ran the CLI for lists only to verify the fast path at warm-up, however much happened since', () => {
    const cliReads = fast
      .output()
      .split('\n')
      .filter((l) => l.includes('"msg":"pairing refresh done"'))
      .map((l) => JSON.parse(l) as { kind: string; reason: string; keys: number; ok: number });
    expect(cliReads.map((r) => `${r.kind}/${r.reason}/${r.ok}-of-${r.keys}`).sort()).toEqual([
      'channels/warm-up/1-of-1',
      'devices/warm-up/1-of-1',
    ]);
  });

  it('never logged the controller token or disagreed with the CLI', () => {
    for (const c of [fast, viaCli]) {
      expect(c.output()).not.toContain(TOKEN);
      expect(c.output()).not.toContain(c.gatewayToken);
    }
    expect(fast.output()).not.toContain('disagrees with the CLI');
    expect(fast.output()).toContain('state database fast path on');
  });
});
