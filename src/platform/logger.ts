// Structured JSON logs. Secret-bearing fields are redacted wherever they appear.
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'authorization',
  'cookie',
  'password',
  'token',
  'secret',
  'apiKey',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.publicKey',
  // channel credentials (bot and app tokens): never logged, whatever object carries them
  'credentials',
  '*.credentials',
  '*.*.credentials',
  'botToken',
  'appToken',
  '*.botToken',
  '*.appToken',
];

export function createLogger(
  opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      name: opts.name ?? 'kiloclaw',
      redact: { paths: REDACT, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

/** The id a request is logged under: the caller's `x-request-id` when it is sane, else a new one. */
export function requestIdFrom(headers: Headers): string {
  const given = headers.get('x-request-id');
  return given && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
}
