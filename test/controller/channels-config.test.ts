import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelsFromConfig, configuredChannels } from '@/controller/channels-config';
import { ensureOpenclawConfig } from '@/controller/openclaw-config';

describe('configured channels', () => {
  it('lists telegram, discord and slack when enabled with a token', () => {
    expect(
      channelsFromConfig({
        channels: {
          telegram: { enabled: true, botToken: '123:ABC' },
          discord: { enabled: true, token: 'd' },
          slack: { enabled: true, appToken: 'xapp' },
        },
      }),
    ).toEqual(['telegram', 'discord', 'slack']);
  });

  it('skips channels that are disabled or have no token', () => {
    expect(
      channelsFromConfig({
        channels: {
          telegram: { enabled: false, botToken: '1:A' },
          discord: { enabled: true },
          slack: { botToken: ' ' },
        },
      }),
    ).toEqual([]);
    expect(channelsFromConfig({ gateway: { mode: 'local' } })).toEqual([]);
  });

  it('reads openclaw.json with comments and trailing commas, and appends valid extra channels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kilo-channels-'));
    const file = join(dir, 'openclaw.json');
    writeFileSync(file, '{\n // bot\n "channels": { "telegram": { "botToken": "1:A", }, },\n}\n');
    expect(configuredChannels(file, ['bench', 'telegram', 'bad;name'])).toEqual(['telegram', 'bench']);
  });

  it('treats a missing or broken file as no configured channels', () => {
    expect(configuredChannels('/nonexistent/openclaw.json', ['telegram'])).toEqual(['telegram']);
    const dir = mkdtempSync(join(tmpdir(), 'kilo-channels-'));
    writeFileSync(join(dir, 'openclaw.json'), '{{{');
    expect(configuredChannels(join(dir, 'openclaw.json'))).toEqual([]);
  });
});

describe('openclaw.json for a fresh state dir', () => {
  it('writes gateway.mode=local when there is no file, and never overwrites one', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kilo-ocfg-')), 'state', 'openclaw.json');
    expect(ensureOpenclawConfig(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ gateway: { mode: 'local' } });
    writeFileSync(file, '{"gateway":{"mode":"local"},"channels":{}}');
    expect(ensureOpenclawConfig(file)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('{"gateway":{"mode":"local"},"channels":{}}');
  });
});
