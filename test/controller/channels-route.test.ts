// The controller's channel routes through a real listening server: bearer auth, input checked with
// the shared rules before any process starts (and never echoed), test messages only on dev machines.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplyChannelsResponse, CONTROLLER_ROUTES } from '@/contracts/controller';
import { controllerToken } from '@/contracts/controller-token';
import { type Controller, createController } from '@/controller/app';
import type { ExecRequest } from '@/controller/exec';
import { silentLogger } from '@/controller/log';

const TOKEN = controllerToken('test-server-secret', 'instance-channels');
const TELEGRAM = '123456789:AAFakeTokenForTesting_abcdefghijklmn';

let controller: Controller;
let base: string;
const calls: ExecRequest[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kilo-channels-route-'));
  controller = createController(
    {
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      stateDir: dir,
      nodeBin: process.execPath,
      cliPath: join(dir, 'no-openclaw-here.mjs'),
      gateway: { enabled: false, port: 1, token: 'gateway-token-for-tests-0001', command: ['unused'] },
      extraChannels: [],
      fastPath: false,
      pollMs: 0,
      devTools: false,
      pairingWorker: false,
    },
    silentLogger,
    {
      exec: async (req) => {
        calls.push(req);
        return {
          code: 1,
          signal: null,
          stdout: '',
          stderr: 'not here',
          timedOut: false,
          aborted: false,
          durationMs: 0,
        };
      },
    },
  );
  base = `http://127.0.0.1:${(await controller.start()).port}`;
});

afterAll(async () => {
  await controller?.stop();
});

const send = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('controller channel routes', () => {
  it('answers 401 without the bearer token', async () => {
    expect((await send('PUT', CONTROLLER_ROUTES.channelsConfig, { channels: [] }, null)).status).toBe(401);
    expect((await send('GET', CONTROLLER_ROUTES.channelsConfig, undefined, 'wrong-token-wrong-token')).status).toBe(
      401,
    );
  });

  it.each([
    [{ channels: [{ channel: 'telegram', credentials: { token: `${TELEGRAM}!` } }] }, /Telegram bot token looks like/],
    [{ channels: [{ channel: 'irc', credentials: {} }] }, /channel must be one of telegram, discord, slack/],
    [
      {
        channels: [
          { channel: 'telegram', credentials: { token: TELEGRAM } },
          { channel: 'telegram', credentials: { token: TELEGRAM } },
        ],
      },
      /each channel may appear once/,
    ],
    ['telegram', /expected object/],
  ])('refuses %j with 400 before any CLI run, without echoing the token', async (body, message) => {
    const before = calls.length;
    const { status, json } = await send('PUT', CONTROLLER_ROUTES.channelsConfig, body);
    expect(status).toBe(400);
    expect(String(json.error)).toMatch(message);
    expect(String(json.error)).not.toContain(TELEGRAM);
    expect(calls.length).toBe(before);
  });

  it('applies an empty list to a machine without channels without running openclaw', async () => {
    const before = calls.length;
    const { status, json } = await send('PUT', CONTROLLER_ROUTES.channelsConfig, { channels: [] });
    expect(status).toBe(200);
    expect(ApplyChannelsResponse.parse(json).applied.every((a) => a.action === 'unchanged')).toBe(true);
    expect(calls.length).toBe(before);
  });

  it('reports a failed openclaw run as 500 with its reason, and keeps the token off the command line', async () => {
    const { status, json } = await send('PUT', CONTROLLER_ROUTES.channelsConfig, {
      channels: [{ channel: 'telegram', credentials: { token: TELEGRAM } }],
    });
    expect(status).toBe(500);
    expect(String(json.error)).toMatch(/openclaw channels add failed: not here/);
    const add = calls.at(-1)!;
    expect(add.args.slice(1, 5)).toEqual(['channels', 'add', '--channel', 'telegram']);
    expect(add.args.join(' ')).not.toContain(TELEGRAM);
    expect(JSON.stringify(add.env)).not.toContain(TELEGRAM);
  });

  it('refuses test messages on a machine without dev tools', async () => {
    const { status, json } = await send('POST', CONTROLLER_ROUTES.channelTestMessage, { channel: 'telegram' });
    expect(status).toBe(409);
    expect(String(json.error)).toMatch(/development machines only/);
  });
});
