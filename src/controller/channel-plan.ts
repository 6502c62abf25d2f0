// From the desired channel list and what the machine has now to the openclaw CLI runs that close the
// gap. Pure: channel-manager.ts reads the current state and runs the steps.
import {
  CHANNEL_KINDS,
  type ChannelConnection,
  type ChannelCredentials,
  type ChannelKind,
} from '../contracts/channel-input';
import type { ChannelAction } from '../contracts/controller';

export type CurrentChannel = {
  /** openclaw.json has it enabled with credentials (or with `--use-env`) */
  configured: boolean;
  /** what our secret store holds for it */
  stored: ChannelCredentials | null;
};

export type ChannelStep =
  | { channel: ChannelKind; action: 'added' | 'updated'; credentials: ChannelCredentials }
  | { channel: ChannelKind; action: 'removed' | 'unchanged' };

const sameCredentials = (a: ChannelCredentials, b: ChannelCredentials) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * `channels add` arguments: never a token. Telegram reads its token file; Discord and Slack read the
 * state dir's `.env` (`--use-env`).
 */
export function addArgs(channel: ChannelKind, tokenFile: string): string[] {
  const base = ['channels', 'add', '--channel', channel];
  return channel === 'telegram' ? [...base, '--token-file', tokenFile] : [...base, '--use-env'];
}

export const removeArgs = (channel: ChannelKind) => ['channels', 'remove', '--channel', channel, '--delete'];

export function planChannels(
  desired: readonly ChannelConnection[],
  current: (channel: ChannelKind) => CurrentChannel,
): ChannelStep[] {
  return CHANNEL_KINDS.map((channel): ChannelStep => {
    const want = desired.find((d) => d.channel === channel);
    const now = current(channel);
    if (!want) {
      return { channel, action: now.configured || now.stored ? 'removed' : 'unchanged' };
    }
    if (now.configured && now.stored && sameCredentials(now.stored, want.credentials))
      return { channel, action: 'unchanged' };
    return { channel, action: now.configured ? 'updated' : 'added', credentials: want.credentials };
  });
}

export const changed = (steps: readonly ChannelStep[]) => steps.filter((s) => s.action !== 'unchanged');

export const summary = (steps: readonly ChannelStep[]): Array<{ channel: ChannelKind; action: ChannelAction }> =>
  steps.map(({ channel, action }) => ({ channel, action }));
