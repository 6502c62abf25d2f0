// The one home of the pairing input rules (channel, code, device request id). Both the controller
// and the app validate with these before anything reaches a process or the network.
import { z } from 'zod';
import { describeIssues } from '../platform/zod-issues';

/** A channel name as openclaw keys it: lowercase, starts with a letter, at most 64 characters. */
const CHANNEL_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
/** A pairing code: 1–32 ASCII letters or digits (openclaw issues 8). */
const PAIRING_CODE_PATTERN = /^[A-Za-z0-9]{1,32}$/;
/** A device request id: a UUID, any letter case. */
const REQUEST_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Messages never echo the input: it may be 10 kB of someone's injection attempt.
export const channelSchema = z
  .string({ error: 'channel must be a string' })
  .regex(
    CHANNEL_PATTERN,
    'channel must start with a lowercase letter and contain only lowercase letters, digits, "_" or "-" (at most 64 characters)',
  );

export const pairingCodeSchema = z
  .string({ error: 'code must be a string' })
  .regex(PAIRING_CODE_PATTERN, 'code must be 1 to 32 letters or digits');

export const requestIdSchema = z
  .string({ error: 'requestId must be a string' })
  .regex(REQUEST_ID_PATTERN, 'requestId must be a UUID such as 3f2b8c1e-0d4a-4e6b-9a57-1c2d3e4f5a6b');

export type InputCheck<T> = { ok: true; value: T } | { ok: false; message: string };

/** Validates `value` with `schema`; on failure returns the first issue as a sentence a person can act on. */
export function checkInput<S extends z.ZodType>(schema: S, value: unknown): InputCheck<z.infer<S>> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, message: describeIssues(parsed.error) };
}

export const isValidChannel = (value: unknown): value is string => channelSchema.safeParse(value).success;
