// The one home of the chat-channel connection rules: which channels a customer can connect, which
// credentials each needs, their shapes, and where a person gets them. The dashboard, the app and the
// controller all validate with these before a token is stored, sent or handed to openclaw.
import { z } from 'zod';
import { checkInput } from './pairing-input';

export const CHANNEL_KINDS = ['telegram', 'discord', 'slack'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

type CredentialField = {
  /** key in the credentials object */
  name: string;
  label: string;
  pattern: RegExp;
  /** said when the value does not match; never echoes the value (it is a secret) */
  shape: string;
};

export type ChannelSpec = {
  label: string;
  /** one line: where a person gets the credentials */
  hint: string;
  fields: readonly CredentialField[];
};

// Shapes as the platforms issue them today, loose enough not to refuse a real token:
// Telegram `<bot id>:<35 chars>`, Discord three base64url parts joined by dots, Slack `xoxb-…`/`xapp-…`.
export const CHANNEL_SPECS: Record<ChannelKind, ChannelSpec> = {
  telegram: {
    label: 'Telegram',
    hint: 'Message @BotFather on Telegram, send /newbot, and copy the token it gives you.',
    fields: [
      {
        name: 'token',
        label: 'Bot token',
        pattern: /^\d{5,16}:[A-Za-z0-9_-]{30,64}$/,
        shape: 'a Telegram bot token looks like 123456789:AA… (digits, a colon, then 35 letters, digits, "_" or "-")',
      },
    ],
  },
  discord: {
    label: 'Discord',
    hint: 'Discord Developer Portal → your application → Bot → Reset Token, then copy it.',
    fields: [
      {
        name: 'token',
        label: 'Bot token',
        pattern: /^[A-Za-z0-9_-]{20,100}\.[A-Za-z0-9_-]{4,20}\.[A-Za-z0-9_-]{20,100}$/,
        shape: 'a Discord bot token is three parts of letters, digits, "_" or "-" joined by dots',
      },
    ],
  },
  slack: {
    label: 'Slack',
    hint: 'api.slack.com/apps → your app: Socket Mode app-level token (xapp-…) and OAuth bot token (xoxb-…).',
    fields: [
      {
        name: 'botToken',
        label: 'Bot token (xoxb-…)',
        pattern: /^xoxb-[A-Za-z0-9-]{10,250}$/,
        shape: 'a Slack bot token starts with "xoxb-" followed by letters, digits and "-"',
      },
      {
        name: 'appToken',
        label: 'App token (xapp-…)',
        pattern: /^xapp-[A-Za-z0-9-]{10,250}$/,
        shape: 'a Slack app-level token starts with "xapp-" followed by letters, digits and "-"',
      },
    ],
  },
};

export const isChannelKind = (value: unknown): value is ChannelKind =>
  typeof value === 'string' && (CHANNEL_KINDS as readonly string[]).includes(value);

export const channelKindSchema = z
  .string({ error: 'channel must be a string' })
  .refine(isChannelKind, `channel must be one of ${CHANNEL_KINDS.join(', ')}`)
  .transform((v) => v as ChannelKind);

export type ChannelCredentials = Record<string, string>;
export type ChannelConnection = { channel: ChannelKind; credentials: ChannelCredentials };

/** Trimmed credentials checked field by field; unknown fields are refused, not carried along. */
function credentialsFor(channel: ChannelKind) {
  const { label, fields } = CHANNEL_SPECS[channel];
  const shape = Object.fromEntries(
    fields.map((f) => [
      f.name,
      z
        .string({ error: `${label} needs the ${f.label.toLowerCase()}` })
        .trim()
        .min(1, `${label} needs the ${f.label.toLowerCase()}`)
        .max(512, `${f.label} is too long to be a ${label} token`)
        .regex(f.pattern, `${f.label}: ${f.shape}`),
    ]),
  );
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `${label} takes only ${fields.map((f) => f.name).join(' and ')}`
        : `${label} credentials must be an object`,
  });
}

export type ChannelCheck = { ok: true; value: ChannelConnection } | { ok: false; message: string };

/** Validates `{channel, credentials}`; the message names the field and the expected shape, never the value. */
export function checkChannelConnection(input: unknown): ChannelCheck {
  const envelope = checkInput(z.object({ channel: channelKindSchema, credentials: z.unknown().optional() }), input);
  if (!envelope.ok) return envelope;
  const { channel } = envelope.value;
  const credentials = checkInput(credentialsFor(channel), envelope.value.credentials ?? {});
  if (!credentials.ok) return credentials;
  return { ok: true, value: { channel, credentials: credentials.value as ChannelCredentials } };
}

/** The zod form of the same rule, for contract schemas (controller bodies). */
export const channelConnectionSchema = z.unknown().transform((value, ctx): ChannelConnection => {
  const check = checkChannelConnection(value);
  if (check.ok) return check.value;
  ctx.addIssue({ code: 'custom', message: check.message });
  return z.NEVER;
});

/** What the dashboard may show of a credential: its last 4 characters. */
export const credentialHint = (value: string): string => value.slice(-4);
