import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChannelKind } from '@/contracts/channel-input';
import { addArgs, type CurrentChannel, planChannels, removeArgs } from '@/controller/channel-plan';
import { createChannelSecrets } from '@/controller/channel-secrets';
import { statusesFromProbe } from '@/controller/channel-status';

const T1 = '123456789:AAFakeTokenForTesting_abcdefghijklmn';
const T2 = '123456789:AAFakeTokenForTesting_zyxwvutsrqponm';
const none: CurrentChannel = { configured: false, stored: null };
const state = (map: Partial<Record<ChannelKind, CurrentChannel>>) => (c: ChannelKind) => map[c] ?? none;

describe('channel plan (desired list vs the machine)', () => {
  it('adds what is missing, updates a changed token, keeps an identical one, removes what is no longer wanted', () => {
    const steps = planChannels(
      [
        { channel: 'telegram', credentials: { token: T2 } },
        { channel: 'discord', credentials: { token: 'a.b.c' } },
      ],
      state({
        telegram: { configured: true, stored: { token: T1 } },
        slack: { configured: true, stored: { botToken: 'xoxb-1', appToken: 'xapp-1' } },
      }),
    );
    expect(steps.map((s) => [s.channel, s.action])).toEqual([
      ['telegram', 'updated'],
      ['discord', 'added'],
      ['slack', 'removed'],
    ]);
  });

  it('does nothing when the machine already has the list (every start and reconcile re-sends it)', () => {
    const steps = planChannels(
      [{ channel: 'telegram', credentials: { token: T1 } }],
      state({ telegram: { configured: true, stored: { token: T1 } } }),
    );
    expect(steps.every((s) => s.action === 'unchanged')).toBe(true);
  });

  it('re-adds a channel whose config entry was lost even if its token file survived', () => {
    const steps = planChannels(
      [{ channel: 'telegram', credentials: { token: T1 } }],
      state({ telegram: { configured: false, stored: { token: T1 } } }),
    );
    expect(steps[0]).toMatchObject({ channel: 'telegram', action: 'added' });
  });

  it('never puts a token on the command line', () => {
    expect(addArgs('telegram', '/s/kiloclaw-channels/telegram-ab.token')).toEqual([
      'channels',
      'add',
      '--channel',
      'telegram',
      '--token-file',
      '/s/kiloclaw-channels/telegram-ab.token',
    ]);
    expect(addArgs('discord', '')).toEqual(['channels', 'add', '--channel', 'discord', '--use-env']);
    expect(addArgs('slack', '')).toEqual(['channels', 'add', '--channel', 'slack', '--use-env']);
    expect(removeArgs('slack')).toEqual(['channels', 'remove', '--channel', 'slack', '--delete']);
  });
});

describe('channel secrets on the machine', () => {
  it('keeps Telegram tokens in 0600 files of a 0700 directory, a new file per token', () => {
    const secrets = createChannelSecrets(mkdtempSync(join(tmpdir(), 'kc-secrets-')));
    const first = secrets.writeTokenFile('telegram', T1);
    const second = secrets.writeTokenFile('telegram', T2);
    expect(first).not.toBe(second);
    expect(statSync(first).mode & 0o777).toBe(0o600);
    expect(statSync(secrets.dir).mode & 0o777).toBe(0o700);
    expect(secrets.readTokenFile(second)).toBe(T2);
    expect(secrets.readTokenFile('/etc/passwd')).toBeNull();
    secrets.pruneTokenFiles('telegram', second);
    expect(secrets.readTokenFile(first)).toBeNull();
    expect(secrets.readTokenFile(second)).toBe(T2);
  });

  it("keeps Discord and Slack tokens in the state dir's .env (0600), leaving other lines alone", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-secrets-'));
    writeFileSync(join(dir, '.env'), 'OPENAI_API_KEY=keep-me\n');
    const secrets = createChannelSecrets(dir);
    secrets.writeEnv('slack', { botToken: 'xoxb-1', appToken: 'xapp-1' });
    secrets.writeEnv('discord', { token: 'a.b.c' });
    expect(secrets.readEnv('slack')).toEqual({ botToken: 'xoxb-1', appToken: 'xapp-1' });
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    secrets.eraseEnv('slack');
    expect(secrets.readEnv('slack')).toBeNull();
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('OPENAI_API_KEY=keep-me\nDISCORD_BOT_TOKEN=a.b.c\n');
  });
});

describe('channel status from `openclaw channels status --probe --json`', () => {
  const probe = (telegram: Record<string, unknown>, account: Record<string, unknown>) => ({
    channels: { telegram },
    channelAccounts: { telegram: [{ accountId: 'default', ...account }] },
  });

  it('says connected, connecting, configured, or the channel’s own error', () => {
    expect(statusesFromProbe(probe({ configured: true, running: true }, { connected: true }))).toEqual([
      { channel: 'telegram', state: 'connected', detail: null },
    ]);
    expect(statusesFromProbe(probe({ configured: true, running: true }, { connected: false }))[0]!.state).toBe(
      'connecting',
    );
    expect(statusesFromProbe(probe({ configured: true, running: false }, {}))[0]!.state).toBe('configured');
    // as measured offline: the gateway runs the channel, Telegram's API is unreachable
    expect(
      statusesFromProbe(
        probe(
          { configured: true, running: true, lastError: 'fetch failed | ERR_TLS_CERT_ALTNAME_INVALID' },
          {
            running: true,
            connected: false,
            probe: { ok: false, error: 'fetch failed | ERR_TLS_CERT_ALTNAME_INVALID' },
          },
        ),
      ),
    ).toEqual([{ channel: 'telegram', state: 'error', detail: 'fetch failed | ERR_TLS_CERT_ALTNAME_INVALID' }]);
  });

  it('reports nothing for a gateway still starting or an output it does not know', () => {
    expect(statusesFromProbe({ status: 'starting', startupPhase: 'plugins' })).toEqual([]);
    expect(statusesFromProbe('nope')).toEqual([]);
  });

  it('shortens a long error', () => {
    const [s] = statusesFromProbe(probe({ lastError: 'x'.repeat(1000) }, {}));
    expect(s!.detail!.length).toBeLessThanOrEqual(301);
  });
});
