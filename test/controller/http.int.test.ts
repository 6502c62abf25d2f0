// The controller's HTTP API through a real listening server, with the real CLI wrapper spawning
// a fake openclaw (same commands and output shapes) so every process start can be counted.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApproveResponse,
  ChannelPairingListResponse,
  DevicePairingListResponse,
  GatewayStatus,
  HealthResponse,
  VersionResponse,
} from '@/contracts/controller';
import { controllerToken } from '@/contracts/controller-token';
import { type Controller, createController } from '@/controller/app';
import type { ControllerConfig } from '@/controller/config';
import { type ExecFn, type ExecRequest, type ExecResult, spawnExec } from '@/controller/exec';
import { silentLogger } from '@/controller/log';

const FAKE_CLI = join(import.meta.dirname, 'fixtures', 'fake-openclaw.mjs');
const TOKEN = controllerToken('test-server-secret', 'instance-http');
const GATEWAY_TOKEN = 'gateway-token-for-tests-0001';
const DEVICE_ID = '3f2b8c1e-0d4a-4e6b-9a57-1c2d3e4f5a6b';

interface Harness {
  controller: Controller;
  base: string;
  calls: ExecRequest[];
  runs: Promise<ExecResult>[];
}

async function startHarness(mode: 'ok' | 'hang', slowRouteLimitMs?: number): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'kilo-http-'));
  const stateFile = join(dir, 'fake-state.json');
  const now = new Date().toISOString();
  writeFileSync(
    stateFile,
    JSON.stringify({
      channels: {
        telegram: [
          {
            id: '111',
            code: 'ABCD2345',
            createdAt: now,
            lastSeenAt: now,
            meta: { username: 'alice', accountId: 'default' },
          },
          { id: '222', code: 'EFGH6789', createdAt: now, lastSeenAt: now, meta: { accountId: 'default' } },
        ],
      },
      devices: [
        {
          requestId: DEVICE_ID,
          deviceId: 'dev-1',
          publicKey: 'SECRET-PUBLIC-KEY-MATERIAL',
          displayName: 'Laptop',
          platform: 'linux',
          clientId: 'test',
          clientMode: 'test',
          role: 'operator',
          roles: ['operator'],
          scopes: ['operator.read'],
          silent: false,
          isRepair: false,
          ts: Date.now(),
        },
      ],
    }),
  );
  const calls: ExecRequest[] = [];
  const runs: Promise<ExecResult>[] = [];
  const exec: ExecFn = (req) => {
    calls.push(req);
    const run = spawnExec(req);
    runs.push(run);
    return run;
  };
  const config: ControllerConfig = {
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    stateDir: dir,
    nodeBin: process.execPath,
    cliPath: FAKE_CLI,
    gateway: { enabled: false, port: 1, token: GATEWAY_TOKEN, command: ['unused'] },
    extraChannels: ['telegram'],
    fastPath: false,
    pollMs: 0,
    pairingWorker: false,
  };
  const controller = createController(config, silentLogger, {
    exec,
    env: {
      ...process.env,
      FAKE_OPENCLAW_MODE: mode,
      FAKE_OPENCLAW_STATE: stateFile,
      FAKE_OPENCLAW_TOKEN: GATEWAY_TOKEN,
    },
    slowRouteLimitMs,
  });
  const { port } = await controller.start();
  return { controller, base: `http://127.0.0.1:${port}`, calls, runs };
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function get(h: Harness, path: string, headers: Record<string, string | undefined> = auth) {
  const res = await fetch(`${h.base}${path}`, { headers: headers as Record<string, string> });
  return { status: res.status, text: await res.text() };
}

async function post(h: Harness, path: string, body: string, headers: Record<string, string> = auth) {
  const res = await fetch(`${h.base}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, json: (await res.json()) as unknown };
}

/** Waits until the warm-up CLI runs have finished (lastUpdated set on both lists). */
async function warmedUp(h: Harness) {
  for (let i = 0; i < 200; i++) {
    const c = ChannelPairingListResponse.parse(JSON.parse((await get(h, '/_kilo/pairing/channels')).text));
    const d = DevicePairingListResponse.parse(JSON.parse((await get(h, '/_kilo/pairing/devices')).text));
    if (c.lastUpdated && d.lastUpdated) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('warm-up did not finish');
}

describe('controller HTTP API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('ok');
    await warmedUp(h);
  });
  afterAll(async () => {
    await h.controller.stop();
  });

  it('answers health without a token', async () => {
    const res = await get(h, '/_kilo/health', {});
    expect(res.status).toBe(200);
    expect(HealthResponse.parse(JSON.parse(res.text)).status).toBe('ok');
  });

  it('refuses every other route without the right bearer token', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${TOKEN}` },
      { authorization: `Bearer ${TOKEN}x` },
    ]) {
      const res = await get(h, '/_kilo/pairing/channels', headers);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text)).toEqual({ error: 'Unauthorized' });
    }
  });

  it('answers an unknown /_kilo route with 404 controller_route_unavailable', async () => {
    const res = await get(h, '/_kilo/pairing/whatsapp');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'controller_route_unavailable' });
  });

  it('lists channel requests from the cache', async () => {
    const res = await get(h, '/_kilo/pairing/channels');
    expect(res.status).toBe(200);
    const body = ChannelPairingListResponse.parse(JSON.parse(res.text));
    expect(body.requests.map((r) => [r.channel, r.code, r.id])).toEqual([
      ['telegram', 'ABCD2345', '111'],
      ['telegram', 'EFGH6789', '222'],
    ]);
    expect(body.requests[0]?.meta).toEqual({ username: 'alice', accountId: 'default' });
  });

  it('lists device requests without their public key', async () => {
    const res = await get(h, '/_kilo/pairing/devices');
    const body = DevicePairingListResponse.parse(JSON.parse(res.text));
    expect(body.requests).toEqual([
      expect.objectContaining({
        requestId: DEVICE_ID,
        deviceId: 'dev-1',
        role: 'operator',
        platform: 'linux',
        clientId: 'test',
      }),
    ]);
    expect(res.text).not.toContain('publicKey');
    expect(res.text).not.toContain('SECRET-PUBLIC-KEY-MATERIAL');
  });

  it('serves version and gateway status', async () => {
    expect(VersionResponse.parse(JSON.parse((await get(h, '/_kilo/version')).text)).controller).toMatch(
      /\d+\.\d+\.\d+/,
    );
    expect(GatewayStatus.parse(JSON.parse((await get(h, '/_kilo/gateway/status')).text))).toEqual({
      state: 'stopped',
      pid: null,
      uptime: 0,
      restarts: 0,
      lastExit: null,
    });
  });

  it('rejects injection attempts with 400 and starts no process', async () => {
    const before = h.calls.length;
    const bad = [
      'telegram;id',
      '$(reboot)',
      '`id`',
      '../../etc/passwd',
      'tele\ngram',
      'x'.repeat(10_000),
      '',
      ' ',
      'AB CD',
    ];
    for (const value of bad) {
      const channel = await post(
        h,
        '/_kilo/pairing/channels/approve',
        JSON.stringify({ channel: value, code: 'ABCD2345' }),
      );
      expect(channel.status).toBe(400);
      expect(ApproveResponse.parse(channel.json).success).toBe(false);
      const code = await post(
        h,
        '/_kilo/pairing/channels/approve',
        JSON.stringify({ channel: 'telegram', code: value }),
      );
      expect(code.status).toBe(400);
      const device = await post(h, '/_kilo/pairing/devices/approve', JSON.stringify({ requestId: value }));
      expect(device.status).toBe(400);
      expect(ApproveResponse.parse(device.json).message).toMatch(/requestId must be a UUID/);
    }
    expect(
      (await post(h, '/_kilo/pairing/channels/approve', JSON.stringify({ channel: 'TELEGRAM', code: 'ABCD2345' })))
        .status,
    ).toBe(400);
    for (const body of ['not json', '[]', '{}', 'null', JSON.stringify({ channel: 'telegram', code: 1234 })]) {
      expect((await post(h, '/_kilo/pairing/channels/approve', body)).status).toBe(400);
    }
    expect(
      (
        await post(
          h,
          '/_kilo/pairing/channels/approve',
          JSON.stringify({ channel: 'telegram', code: 'A', pad: 'x'.repeat(20_000) }),
        )
      ).status,
    ).toBe(413);
    expect((await get(h, '/_kilo/pairing/channels?refresh=$(id)')).status).toBe(400);
    expect(h.calls.length).toBe(before);
  });

  it('approves a channel code through the CLI and no longer lists it', async () => {
    const res = await post(
      h,
      '/_kilo/pairing/channels/approve',
      JSON.stringify({ channel: 'telegram', code: 'abcd2345' }),
    );
    expect(res).toEqual({
      status: 200,
      json: { success: true, message: 'Approved telegram sender 111.', path: 'cli' },
    });
    const approveCall = h.calls.find((c) => c.args.includes('approve'));
    // --notify: openclaw tells the approved sender on their channel
    expect(approveCall?.args.slice(1)).toEqual(['pairing', 'approve', 'telegram', 'abcd2345', '--notify']);
    const list = ChannelPairingListResponse.parse(JSON.parse((await get(h, '/_kilo/pairing/channels')).text));
    expect(list.requests.map((r) => r.code)).toEqual(['EFGH6789']);
  });

  it('answers 500 with the CLI reason when the code is unknown', async () => {
    const res = await post(
      h,
      '/_kilo/pairing/channels/approve',
      JSON.stringify({ channel: 'telegram', code: 'ZZZZ9999' }),
    );
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      success: false,
      message: 'openclaw pairing approve failed: No pending pairing request found for code "ZZZZ9999".',
    });
  });

  it('approves a device request and no longer lists it', async () => {
    const res = await post(h, '/_kilo/pairing/devices/approve', JSON.stringify({ requestId: DEVICE_ID.toUpperCase() }));
    expect(res.status).toBe(500); // the fake, like openclaw, matches request ids exactly
    const ok = await post(h, '/_kilo/pairing/devices/approve', JSON.stringify({ requestId: DEVICE_ID }));
    expect(ok).toEqual({
      status: 200,
      json: { success: true, message: `Approved dev-1 (${DEVICE_ID})`, path: 'cli' },
    });
    const list = DevicePairingListResponse.parse(JSON.parse((await get(h, '/_kilo/pairing/devices')).text));
    expect(list.requests).toEqual([]);
  });

  it('re-reads through the CLI on ?refresh=true', async () => {
    const before = h.calls.length;
    const res = await get(h, '/_kilo/pairing/channels?refresh=true');
    expect(res.status).toBe(200);
    expect(h.calls.length).toBe(before + 1);
  });
});

describe('controller HTTP API while the CLI hangs', () => {
  let h: Harness;
  const LIMIT_MS = 1_500; // stands in for CONTROLLER_SLOW_ROUTE_LIMIT_MS (50 s)
  beforeAll(async () => {
    h = await startHarness('hang', LIMIT_MS);
  });
  afterAll(async () => {
    await h.controller.stop();
  });

  it('answers health in under 100 ms and lists from the (empty) cache at once', async () => {
    await new Promise((r) => setTimeout(r, 300)); // the warm-up CLI runs are now started and stuck
    expect(h.calls.length).toBeGreaterThanOrEqual(2);
    const timings: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const res = await get(h, '/_kilo/health', {});
      timings.push(performance.now() - started);
      expect(res.status).toBe(200);
    }
    expect(Math.max(...timings)).toBeLessThan(100);
    const started = performance.now();
    const list = await get(h, '/_kilo/pairing/channels');
    expect(performance.now() - started).toBeLessThan(100);
    expect(JSON.parse(list.text)).toEqual({ requests: [], lastUpdated: null, version: 0 });
  });

  it('answers ?refresh=true within its own limit, saying the list is stale and why', async () => {
    const started = performance.now();
    const res = await get(h, '/_kilo/pairing/channels?refresh=true');
    expect(performance.now() - started).toBeLessThan(LIMIT_MS + 2_000);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      requests: [],
      lastUpdated: null,
      stale: true,
      staleReason: 'openclaw did not answer within 2 s',
    });
  });

  it('answers an approval that outlives its limit with 504 "timeout", not a hang', async () => {
    const res = await post(h, '/_kilo/pairing/devices/approve', JSON.stringify({ requestId: DEVICE_ID }));
    expect(res.status).toBe(504);
    expect(res.json).toMatchObject({ success: false, code: 'timeout' });
  });

  it('refuses approvals past the CLI queue with 503 "busy" and never runs more than 2 CLI processes', async () => {
    const burst = await Promise.all(
      // distinct codes: approvals of one code wait for each other before they reach the CLI queue
      Array.from({ length: 12 }, (_, i) =>
        post(h, '/_kilo/pairing/channels/approve', JSON.stringify({ channel: 'telegram', code: `BURST${i}` })),
      ),
    );
    const busy = burst.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.json).toMatchObject({
      success: false,
      code: 'busy',
      message: expect.stringContaining('try again'),
    });
    expect(burst.filter((r) => r.status !== 503).every((r) => r.status === 504)).toBe(true);
    expect(h.calls.length).toBe(2); // the two stuck warm-up reads hold both slots; nothing else started
  });

  it('ends every stuck CLI process when it stops, instead of leaving them behind', async () => {
    expect(h.runs.length).toBeGreaterThanOrEqual(1);
    await h.controller.stop();
    const settled = await Promise.race([
      Promise.all(h.runs),
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 5_000)),
    ]);
    expect(settled).not.toBe('still running');
    expect((settled as ExecResult[]).every((r) => r.aborted)).toBe(true);
  });
});
