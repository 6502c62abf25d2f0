import { describe, expect, it } from 'vitest';
import { controllerTokenVerifier, tokenMatchesVerifier } from '@/contracts/controller-token';
import { loadControllerConfig } from '@/controller/config';

const base = { CONTROLLER_TOKEN: 'a'.repeat(64), OPENCLAW_STATE_DIR: '/tmp/state', HOME: '/tmp/home' };

describe('controller config', () => {
  it('defaults to port 18789, gateway on 3001 with token auth, fast path on', () => {
    const config = loadControllerConfig(base);
    expect(config.port).toBe(18789);
    expect(config.gateway.port).toBe(3001);
    expect(config.gateway.command.slice(2)).toEqual([
      'gateway',
      '--port',
      '3001',
      '--bind',
      'loopback',
      '--auth',
      'token',
      '--token',
      config.gateway.token,
    ]);
    expect(config.gateway.token).not.toBe(base.CONTROLLER_TOKEN);
    expect(config.fastPath).toBe(true);
  });

  it('accepts only the token hash on a machine (the machine never holds the token), with a gateway token', () => {
    const token = 'b'.repeat(64);
    const onMachine = {
      CONTROLLER_TOKEN_SHA256: controllerTokenVerifier(token),
      OPENCLAW_GATEWAY_TOKEN: 'g'.repeat(32),
      OPENCLAW_STATE_DIR: '/tmp/state',
    };
    const config = loadControllerConfig(onMachine);
    expect(config.token).toBe('');
    expect(tokenMatchesVerifier(token, config.tokenSha256 ?? '')).toBe(true);
    expect(tokenMatchesVerifier('c'.repeat(64), config.tokenSha256 ?? '')).toBe(false);
    expect(config.gateway.token).toBe('g'.repeat(32));
    expect(loadControllerConfig(base).tokenSha256).toBe(controllerTokenVerifier(base.CONTROLLER_TOKEN));
    expect(() => loadControllerConfig({ ...onMachine, OPENCLAW_GATEWAY_TOKEN: undefined })).toThrow(
      /OPENCLAW_GATEWAY_TOKEN is required/,
    );
    expect(() => loadControllerConfig({ ...onMachine, CONTROLLER_TOKEN_SHA256: token.slice(1) })).toThrow(
      /CONTROLLER_TOKEN_SHA256 must be 64 hex/,
    );
  });

  it('names the variable that is wrong', () => {
    expect(() => loadControllerConfig({ ...base, CONTROLLER_TOKEN: undefined })).toThrow(/CONTROLLER_TOKEN/);
    expect(() => loadControllerConfig({ ...base, CONTROLLER_PORT: 'http' })).toThrow(/CONTROLLER_PORT/);
    expect(() => loadControllerConfig({ ...base, OPENCLAW_GATEWAY_PORT: '70000' })).toThrow(/OPENCLAW_GATEWAY_PORT/);
    expect(() => loadControllerConfig({ ...base, CONTROLLER_GATEWAY_COMMAND: 'node x' })).toThrow(
      /CONTROLLER_GATEWAY_COMMAND/,
    );
    expect(() => loadControllerConfig({ ...base, CONTROLLER_EXTRA_CHANNELS: 'ok,$(x)' })).toThrow(
      /CONTROLLER_EXTRA_CHANNELS/,
    );
  });

  it('takes the node and CLI paths from OPENCLAW_NODE_BIN and OPENCLAW_CLI', () => {
    const config = loadControllerConfig({
      ...base,
      OPENCLAW_NODE_BIN: '/opt/node24/bin/node',
      OPENCLAW_CLI: '/opt/openclaw/openclaw.mjs',
    });
    expect(config.gateway.command.slice(0, 2)).toEqual(['/opt/node24/bin/node', '/opt/openclaw/openclaw.mjs']);
  });
});
