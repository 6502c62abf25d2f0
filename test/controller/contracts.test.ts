import { describe, expect, it } from 'vitest';
import {
  ApproveChannelBody,
  ApproveDeviceBody,
  ChannelPairingListResponse,
  GatewayStatus,
  RouteUnavailableBody,
} from '@/contracts/controller';
import { controllerToken, tokensEqual } from '@/contracts/controller-token';
import { channelSchema, checkInput, pairingCodeSchema, requestIdSchema } from '@/contracts/pairing-input';

const INJECTIONS = [
  'telegram;rm -rf /',
  '$(reboot)',
  '`id`',
  '../etc/passwd',
  'tele\ngram',
  'a b',
  'x'.repeat(10_000),
  '',
  'Telegram',
];

describe('pairing input rules', () => {
  it.each(['telegram', 'discord', 'slack', 'ms-teams', 'x', `a${'b'.repeat(63)}`])('accepts channel %s', (c) => {
    expect(channelSchema.safeParse(c).success).toBe(true);
  });
  it.each([...INJECTIONS, `a${'b'.repeat(64)}`, '1telegram', '_x'])('rejects channel %j', (c) => {
    expect(channelSchema.safeParse(c).success).toBe(false);
  });
  it.each(['4LXMPKXV', 'abc123', 'Z', 'A'.repeat(32)])('accepts code %s', (c) => {
    expect(pairingCodeSchema.safeParse(c).success).toBe(true);
  });
  it.each([...INJECTIONS.filter((s) => s !== 'Telegram'), 'A'.repeat(33), 'AB-CD'])('rejects code %j', (c) => {
    expect(pairingCodeSchema.safeParse(c).success).toBe(false);
  });
  it('accepts a request id in any letter case and nothing that is not a UUID', () => {
    expect(requestIdSchema.safeParse('3f2b8c1e-0d4a-4e6b-9a57-1c2d3e4f5a6b').success).toBe(true);
    expect(requestIdSchema.safeParse('3F2B8C1E-0D4A-4E6B-9A57-1C2D3E4F5A6B').success).toBe(true);
    for (const bad of [...INJECTIONS, '3f2b8c1e-0d4a-4e6b-9a57-1c2d3e4f5a6b;ls', '3f2b8c1e0d4a4e6b9a571c2d3e4f5a6b']) {
      expect(requestIdSchema.safeParse(bad).success).toBe(false);
    }
  });
  it('explains a rejection in words a person can act on, without echoing the input', () => {
    const result = checkInput(ApproveChannelBody, { channel: 'telegram', code: `$(curl evil)${'x'.repeat(500)}` });
    expect(result).toEqual({ ok: false, message: 'code must be 1 to 32 letters or digits' });
    expect(checkInput(ApproveDeviceBody, {})).toEqual({ ok: false, message: 'requestId must be a string' });
  });
});

describe('controller token', () => {
  it('is HMAC-SHA256 of the instance id under the server secret, in hex', () => {
    // Reference value computed independently: printf 'inst-1' | openssl dgst -sha256 -hmac 'secret'
    expect(controllerToken('secret', 'inst-1')).toBe(
      'c8db3fe0ee6a24afcf7e404db67d2a88461947560b539077483c8a8d2d1a0683',
    );
    expect(controllerToken('secret', 'inst-2')).not.toBe(controllerToken('secret', 'inst-1'));
    expect(() => controllerToken('', 'inst-1')).toThrow(/secret/);
  });
  it('compares tokens exactly, including different lengths', () => {
    const token = controllerToken('secret', 'inst-1');
    expect(tokensEqual(token, token)).toBe(true);
    expect(tokensEqual(token.slice(0, -1), token)).toBe(false);
    expect(tokensEqual(`${token}0`, token)).toBe(false);
    expect(tokensEqual(token.toUpperCase(), token)).toBe(false);
  });
});

describe('response schemas', () => {
  it('parse what the controller sends', () => {
    expect(
      ChannelPairingListResponse.parse({
        requests: [
          {
            code: 'ABCD2345',
            id: '42',
            channel: 'telegram',
            meta: { accountId: 'default' },
            createdAt: '2026-11-27T07:09:23.801Z',
          },
        ],
        lastUpdated: null,
      }).requests,
    ).toHaveLength(1);
    expect(GatewayStatus.parse({ state: 'running', pid: 12, uptime: 3, restarts: 0, lastExit: null }).state).toBe(
      'running',
    );
    expect(RouteUnavailableBody.safeParse({ code: 'controller_route_unavailable' }).success).toBe(true);
  });
});
