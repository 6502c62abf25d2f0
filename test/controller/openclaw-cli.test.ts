import { describe, expect, it } from 'vitest';
import type { ExecFn, ExecRequest, ExecResult } from '@/controller/exec';
import { createOpenclawCli, OpenclawCliError } from '@/controller/openclaw-cli';

const TOKEN = 'gw-token-0123456789abcdef';

function spyExec(answer: Partial<ExecResult> | ((req: ExecRequest) => Partial<ExecResult>)) {
  const calls: ExecRequest[] = [];
  const exec: ExecFn = async (req) => {
    calls.push(req);
    const a = typeof answer === 'function' ? answer(req) : answer;
    return { code: 0, signal: null, stdout: '', stderr: '', timedOut: false, aborted: false, durationMs: 1, ...a };
  };
  const cli = createOpenclawCli({
    nodeBin: '/node24',
    cliPath: '/openclaw.mjs',
    stateDir: '/state',
    gatewayPort: 3001,
    gatewayToken: TOKEN,
    exec,
    baseEnv: { PATH: '/usr/bin', CONTROLLER_TOKEN: 'never-pass-this-on' },
  });
  return { cli, calls };
}

describe('openclaw CLI wrapper', () => {
  it('lists a channel with an argument array, the state dir, the gateway port and a 45 s timeout', async () => {
    const { cli, calls } = spyExec({
      stdout: JSON.stringify({
        channel: 'telegram',
        requests: [{ id: '1', code: 'AB', createdAt: 'c', lastSeenAt: 'l', meta: { accountId: 'default' } }],
      }),
    });
    expect(await cli.listChannel('telegram')).toEqual([
      { id: '1', code: 'AB', createdAt: 'c', lastSeenAt: 'l', meta: { accountId: 'default' } },
    ]);
    expect(calls[0]).toMatchObject({
      file: '/node24',
      args: ['/openclaw.mjs', 'pairing', 'list', 'telegram', '--json'],
      timeoutMs: 45_000,
    });
    expect(calls[0]?.env).toMatchObject({ OPENCLAW_STATE_DIR: '/state', OPENCLAW_GATEWAY_PORT: '3001' });
    expect(calls[0]?.env?.CONTROLLER_TOKEN).toBeUndefined();
  });

  it('passes the gateway token to device commands', async () => {
    const { cli, calls } = spyExec((req) =>
      req.args[2] === 'list'
        ? {
            stdout: JSON.stringify({ pending: [{ requestId: 'r', deviceId: 'd', publicKey: 'k', ts: 1 }], paired: [] }),
          }
        : { stdout: 'Approved d (r)\n' },
    );
    expect(await cli.listDevices()).toEqual([{ requestId: 'r', deviceId: 'd', publicKey: 'k', ts: 1 }]);
    const id = '3f2b8c1e-0d4a-4e6b-9a57-1c2d3e4f5a6b';
    expect(await cli.approveDevice(id)).toBe('Approved d (r)');
    expect(calls.map((c) => c.args.slice(1))).toEqual([
      ['devices', 'list', '--json', '--token', TOKEN],
      ['devices', 'approve', id, '--token', TOKEN],
    ]);
  });

  it('refuses bad input before starting any process', async () => {
    const { cli, calls } = spyExec({});
    for (const attempt of [
      () => cli.listChannel('telegram;id'),
      () => cli.approveChannel('telegram', '$(reboot)'),
      () => cli.approveChannel('../x', 'ABCD'),
      () => cli.approveDevice('not-a-uuid\n'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ kind: 'invalid-input' });
    }
    expect(calls).toHaveLength(0);
  });

  it("reports the CLI's own reason when it fails, without the gateway token", async () => {
    const { cli } = spyExec({
      code: 1,
      stderr:
        '[openclaw] The CLI command failed.\n' +
        '[openclaw] Reason: No pending pairing request found for code "ZZZZ9999". Run openclaw pairing list\n',
    });
    await expect(cli.approveChannel('telegram', 'ZZZZ9999')).rejects.toThrow(
      'openclaw pairing approve failed: No pending pairing request found for code "ZZZZ9999". Run openclaw pairing list',
    );
    const leaky = spyExec({ code: 1, stderr: `bad token ${TOKEN}\n` });
    const error = await leaky.cli.approveDevice('3f2b8c1e-0d4a-4e6b-9a57-1c2d3e4f5a6b').catch((e: unknown) => e);
    expect(String((error as Error).message)).not.toContain(TOKEN);
  });

  it('reads the error message from JSON output spread over several lines', async () => {
    const { cli } = spyExec({
      code: 1,
      stdout: JSON.stringify({ ok: false, error: { type: 'cli_error', message: 'Gateway not reachable' } }, null, 2),
    });
    await expect(cli.listDevices()).rejects.toThrow('openclaw devices list failed: Gateway not reachable');
  });

  it('names timeouts and unparseable output', async () => {
    await expect(
      spyExec({ timedOut: true, code: null, signal: 'SIGKILL' }).cli.listChannel('telegram'),
    ).rejects.toThrow('openclaw pairing list timed out after 45 s');
    const garbled = await spyExec({ stdout: 'not json' })
      .cli.listChannel('telegram')
      .catch((e: unknown) => e);
    expect(garbled).toBeInstanceOf(OpenclawCliError);
    expect((garbled as OpenclawCliError).kind).toBe('unparseable');
  });

  it('runs at most two list commands at once', async () => {
    let running = 0;
    let peak = 0;
    const exec: ExecFn = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      running -= 1;
      return {
        code: 0,
        signal: null,
        stdout: '{"requests":[]}',
        stderr: '',
        timedOut: false,
        aborted: false,
        durationMs: 20,
      };
    };
    const cli = createOpenclawCli({
      nodeBin: 'n',
      cliPath: 'c',
      stateDir: 's',
      gatewayPort: 1,
      gatewayToken: TOKEN,
      exec,
    });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((c) => cli.listChannel(c)));
    expect(peak).toBe(2);
  });
});
