// Where the channel tokens live on the machine, so that none is ever on a command line:
//  - Telegram: a token file (0600, in a 0700 directory) that openclaw.json points at
//    (`channels add --token-file`). Each token gets a new file name, so replacing it changes
//    openclaw.json and openclaw's config hot reload restarts the channel (no gateway restart).
//  - Discord and Slack offer only `--token` (argv) or `--use-env`: their tokens go into the state
//    dir's `.env` (0600), which openclaw reads at process start (CLI and gateway alike); the gateway is
//    restarted to pick them up.
// Only the keys below are managed in `.env`; any other line in it is kept as is.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChannelCredentials, ChannelKind } from '../contracts/channel-input';

/** credential field → environment variable openclaw's plugin reads with `--use-env` */
const ENV_KEYS: Partial<Record<ChannelKind, Record<string, string>>> = {
  discord: { token: 'DISCORD_BOT_TOKEN' },
  slack: { botToken: 'SLACK_BOT_TOKEN', appToken: 'SLACK_APP_TOKEN' },
};

export const isEnvBacked = (channel: ChannelKind) => ENV_KEYS[channel] !== undefined;

export type ChannelSecrets = ReturnType<typeof createChannelSecrets>;

export function createChannelSecrets(stateDir: string) {
  const dir = join(stateDir, 'kiloclaw-channels');
  const envFile = join(stateDir, '.env');

  const readText = (file: string): string | null => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  };
  const writeSecret = (file: string, text: string) => {
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600); // an existing file keeps its old mode on write
  };

  const envLines = () => (readText(envFile) ?? '').split('\n').filter((line) => line.trim() !== '');
  const envValue = (name: string) => {
    const line = envLines().find((l) => l.startsWith(`${name}=`));
    return line === undefined ? undefined : line.slice(name.length + 1);
  };
  const writeEnv = (set: Record<string, string | null>) => {
    const names = Object.keys(set);
    const kept = envLines().filter((l) => !names.some((n) => l.startsWith(`${n}=`)));
    const added = Object.entries(set).flatMap(([n, v]) => (v === null ? [] : [`${n}=${v}`]));
    writeSecret(envFile, [...kept, ...added].map((l) => `${l}\n`).join(''));
  };

  return {
    dir,
    /** A new 0600 file holding `token`; its path goes to `channels add --token-file`. */
    writeTokenFile(channel: ChannelKind, token: string): string {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
      const file = join(dir, `${channel}-${randomBytes(6).toString('hex')}.token`);
      writeSecret(file, token);
      return file;
    },
    /** The token in a file openclaw.json points at, when it is one of ours. */
    readTokenFile(file: unknown): string | null {
      if (typeof file !== 'string' || dirname(file) !== dir) return null;
      return readText(file) || null;
    },
    /** Removes this channel's token files except `keep`. */
    pruneTokenFiles(channel: ChannelKind, keep: string | null): void {
      if (!existsSync(dir)) return;
      for (const name of readdirSync(dir)) {
        const file = join(dir, name);
        if (name.startsWith(`${channel}-`) && name.endsWith('.token') && file !== keep) rmSync(file, { force: true });
      }
    },
    /** The environment-backed credentials of `channel`, or null when any is missing. */
    readEnv(channel: ChannelKind): ChannelCredentials | null {
      const keys = ENV_KEYS[channel];
      if (!keys) return null;
      const out: ChannelCredentials = {};
      for (const [field, name] of Object.entries(keys)) {
        const value = envValue(name);
        if (!value) return null;
        out[field] = value;
      }
      return out;
    },
    writeEnv(channel: ChannelKind, credentials: ChannelCredentials): void {
      const keys = ENV_KEYS[channel] ?? {};
      writeEnv(Object.fromEntries(Object.entries(keys).map(([field, name]) => [name, credentials[field] ?? null])));
    },
    eraseEnv(channel: ChannelKind): void {
      const keys = ENV_KEYS[channel];
      if (keys && existsSync(envFile)) writeEnv(Object.fromEntries(Object.values(keys).map((name) => [name, null])));
    },
  };
}
