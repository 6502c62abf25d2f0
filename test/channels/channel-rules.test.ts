import { describe, expect, it } from 'vitest';
import { CHANNEL_KINDS, CHANNEL_SPECS, checkChannelConnection, credentialHint } from '@/contracts/channel-input';
import { ApplyChannelsBody } from '@/contracts/controller';

const TELEGRAM = '123456789:AAFakeTokenForTesting_abcdefghijklmn';
const DISCORD = 'MTAxNjQ2OTk4NzY1NDMyMTAxMg.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB';

describe('channel connection rules (one module for app, dashboard and controller)', () => {
  it('accepts well-formed tokens for each channel, trimmed', () => {
    expect(checkChannelConnection({ channel: 'telegram', credentials: { token: ` ${TELEGRAM}\n` } })).toEqual({
      ok: true,
      value: { channel: 'telegram', credentials: { token: TELEGRAM } },
    });
    expect(checkChannelConnection({ channel: 'discord', credentials: { token: DISCORD } }).ok).toBe(true);
    expect(
      checkChannelConnection({
        channel: 'slack',
        credentials: { botToken: 'xoxb-1234567890-0987654321-AbCdEf', appToken: 'xapp-1-A0123456-789-abcdef' },
      }).ok,
    ).toBe(true);
  });

  it.each([
    [{ channel: 'matrix', credentials: {} }, 'channel must be one of telegram, discord, slack'],
    [{ channel: 'telegram' }, 'Telegram needs the bot token'],
    [{ channel: 'telegram', credentials: { token: 'xoxb-12345678901' } }, 'Bot token: a Telegram bot token looks like'],
    [{ channel: 'telegram', credentials: { token: TELEGRAM, extra: 'x' } }, 'Telegram takes only token'],
    [{ channel: 'slack', credentials: { botToken: 'xoxb-1234567890' } }, 'Slack needs the app token'],
    [{ channel: 'discord', credentials: { token: `${DISCORD}.four` } }, 'three parts'],
    [{ channel: 'telegram', credentials: { token: `${TELEGRAM}${'a'.repeat(600)}` } }, 'too long'],
    ['telegram', 'expected object'],
  ])('refuses %j saying what is wrong, never the value', (input, message) => {
    const check = checkChannelConnection(input);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.message).toContain(message);
    expect(check.message).not.toContain(TELEGRAM);
    expect(check.message).not.toContain('xoxb-1234567890');
  });

  it('has a label, a where-to-get-it hint and fields for every channel', () => {
    for (const kind of CHANNEL_KINDS) {
      expect(CHANNEL_SPECS[kind].hint.length).toBeGreaterThan(20);
      expect(CHANNEL_SPECS[kind].fields.length).toBeGreaterThan(0);
    }
  });

  it('shows only the last 4 characters', () => {
    expect(credentialHint(TELEGRAM)).toBe('klmn');
  });

  it('the controller body takes each channel once', () => {
    const entry = { channel: 'telegram', credentials: { token: TELEGRAM } };
    expect(ApplyChannelsBody.safeParse({ channels: [entry] }).success).toBe(true);
    expect(ApplyChannelsBody.safeParse({ channels: [entry, entry] }).success).toBe(false);
    expect(
      ApplyChannelsBody.safeParse({ channels: [{ channel: 'telegram', credentials: { token: 'x' } }] }).success,
    ).toBe(false);
  });
});
