// Which chat channels the controller lists pairing requests for: those openclaw.json configures
// (telegram, discord, slack: enabled with a token), plus extra names from the controller config
// (tests, channels this code does not know yet). Re-read on every refresh: the file changes at runtime.
import { readFileSync } from 'node:fs';
import { isValidChannel } from '../contracts/pairing-input';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasText = (v: unknown) => typeof v === 'string' && v.trim().length > 0;

/** channel → "is it configured with credentials" as openclaw.json spells it. */
const KNOWN_CHANNELS: Record<string, (c: Json) => boolean> = {
  telegram: (c) => hasText(c.botToken) || hasText(c.tokenFile),
  discord: (c) => hasText(c.token),
  slack: (c) => hasText(c.botToken) || hasText(c.appToken),
};

/** Channels configured in an openclaw.json document (already parsed). */
export function channelsFromConfig(config: unknown): string[] {
  if (!isRecord(config) || !isRecord(config.channels)) return [];
  const channels = config.channels;
  return Object.entries(KNOWN_CHANNELS)
    .filter(([name, hasCredentials]) => {
      const entry = channels[name];
      return isRecord(entry) && entry.enabled !== false && hasCredentials(entry);
    })
    .map(([name]) => name);
}

/**
 * Reads openclaw.json (JSON, or JSON with comments and trailing commas as openclaw accepts) and
 * returns the configured channels followed by `extra`, without duplicates. A missing or unreadable
 * file means only `extra`.
 */
export function configuredChannels(configPath: string, extra: readonly string[] = [], read = readFileSync): string[] {
  let fromFile: string[] = [];
  try {
    fromFile = channelsFromConfig(parseLenientJson(read(configPath, 'utf8')));
  } catch {
    fromFile = [];
  }
  return [...new Set([...fromFile, ...extra.filter(isValidChannel)])];
}

/** JSON.parse, retried without comments and trailing commas. */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(stripTrailingCommas(stripComments(text)));
  }
}

function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (ch === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i += 1;
    } else out += ch;
  }
  return out;
}

const stripTrailingCommas = (text: string) => text.replace(/,(\s*[}\]])/g, '$1');
