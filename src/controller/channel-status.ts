// `openclaw channels status --probe --json` → one status per channel we manage, in openclaw's own
// words: connected, connecting (running, no error yet), configured (not running), or its error.
// Pure; the caller scrubs tokens from the text (a Telegram error can quote its request URL).
import { CHANNEL_KINDS } from '../contracts/channel-input';
import type { ChannelStatus } from '../contracts/controller';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

const MAX_DETAIL_CHARS = 300; // openclaw's errors can chain several causes; a sentence or two is enough

export function statusesFromProbe(output: unknown): ChannelStatus[] {
  if (!isRecord(output) || !isRecord(output.channels)) return [];
  const channels = output.channels;
  const accounts = isRecord(output.channelAccounts) ? output.channelAccounts : {};
  return CHANNEL_KINDS.flatMap((channel): ChannelStatus[] => {
    const summary = channels[channel];
    if (!isRecord(summary)) return [];
    const list = accounts[channel];
    const account: Json =
      (Array.isArray(list)
        ? list.filter(isRecord).find((a) => a.accountId === 'default' || list.length === 1)
        : null) ?? {};
    const probe = isRecord(account.probe) ? account.probe : isRecord(summary.probe) ? summary.probe : null;
    const error =
      text(account.lastError) ?? text(summary.lastError) ?? (probe && probe.ok === false ? text(probe.error) : null);
    const running = account.running === true || summary.running === true;
    if (account.connected === true) return [{ channel, state: 'connected', detail: null }];
    if (error) return [{ channel, state: 'error', detail: shorten(error) }];
    if (running) return [{ channel, state: 'connecting', detail: null }];
    return [{ channel, state: 'configured', detail: null }];
  });
}

const shorten = (s: string) => (s.length > MAX_DETAIL_CHARS ? `${s.slice(0, MAX_DETAIL_CHARS)}…` : s);
