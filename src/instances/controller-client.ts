// Calls to one instance's controller over HTTP, with a timeout and the instance's bearer token.
// The answer is returned as {status, body}; deciding what a status means is the caller's job.
import { APP_SLOW_CALL_TIMEOUT_MS } from '@/contracts/controller';
import { controllerToken } from '@/contracts/controller-token';
import { errorMessage } from '@/platform/error-message';
import { readCapped } from '@/platform/read-capped';

export const CONTROLLER_TIMEOUT_MS = 5_000; // the controller answers lists from memory in milliseconds
/** ?refresh=true and approves: longer than the controller's own limit (50 s), so it reports its timeout itself. */
export const CONTROLLER_REFRESH_TIMEOUT_MS = APP_SLOW_CALL_TIMEOUT_MS;

/**
 * The most we read of a controller's reply. The controller runs on the customer's machine, so its
 * answer is not trusted: the largest honest one (a pairing list, openclaw keeps a few pending
 * requests per channel) is a few kB; a reply past this is cut off and treated as no answer.
 */
export const CONTROLLER_MAX_REPLY_BYTES = 1_000_000;

export type ControllerAnswer = { status: number; body: unknown };

/** No answer at all (connection refused, timeout); `reason` is safe to log. */
export class ControllerUnreachable extends Error {
  constructor(readonly reason: string) {
    super(`controller unreachable: ${reason}`);
    this.name = 'ControllerUnreachable';
  }
}

/**
 * `previousSecret` is set during a CONTROLLER_SECRET rotation: a machine started before it still carries
 * a token made with the previous key until its next start or reconcile pushes the new one.
 */
export type ControllerTarget = { baseUrl: string; secret: string; previousSecret?: string; instanceId: string };

export async function callController(
  target: ControllerTarget,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  opts: { body?: unknown; timeoutMs?: number; fetch?: typeof fetch; maxReplyBytes?: number } = {},
): Promise<ControllerAnswer> {
  const answer = await callWithKey(target, target.secret, method, path, opts);
  // 401 means the controller did nothing: asking again with the previous key is safe for a POST too
  if (answer.status === 401 && target.previousSecret)
    return callWithKey(target, target.previousSecret, method, path, opts);
  return answer;
}

async function callWithKey(
  target: ControllerTarget,
  secret: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  opts: { body?: unknown; timeoutMs?: number; fetch?: typeof fetch; maxReplyBytes?: number },
): Promise<ControllerAnswer> {
  const timeoutMs = opts.timeoutMs ?? CONTROLLER_TIMEOUT_MS;
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(`${target.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${controllerToken(secret, target.instanceId)}`,
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ControllerUnreachable(
      err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : errorMessage(err),
    );
  }
  const maxBytes = opts.maxReplyBytes ?? CONTROLLER_MAX_REPLY_BYTES;
  let read: Awaited<ReturnType<typeof readCapped>>;
  try {
    read = await readCapped(res.body, maxBytes);
  } catch (err) {
    // the timeout covers the body too: a controller trickling bytes is cut off by the same signal
    throw new ControllerUnreachable(
      err instanceof Error && err.name === 'TimeoutError' ? `no full reply within ${timeoutMs} ms` : errorMessage(err),
    );
  }
  if (!read.ok) throw new ControllerUnreachable(`reply larger than ${maxBytes} bytes (not read further)`);
  const text = new TextDecoder().decode(read.bytes);
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the log line
  }
  return { status: res.status, body };
}
