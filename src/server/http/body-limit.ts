// The byte cap of every route that reads a body. Content-Length is checked before anything is read,
// and the body is then read with the same cap (a sender may lie about the length, or send chunks
// without one): a too-large body costs at most the cap in memory, and the answer is a 413 a person
// can act on. The handler behind it gets a Request whose body is the bytes read.
import { declaredLength, readCapped } from '@/platform/read-capped';

export type Handler = (req: Request) => Promise<Response>;

/** Per door, with the reason for each size. */
export const BODY_LIMITS = {
  /** the dashboard's largest call (an approve with its code) is well under 1 kB; a batch of 10 of them fits */
  trpc: 64 * 1024,
  /** sign-up is an email (≤ 254), a name (≤ 100) and a password (≤ 128), plus JSON punctuation */
  auth: 16 * 1024,
  /** Stripe events are well under this; anything larger is not from Stripe */
  stripeWebhook: 1_000_000,
  /** the scheduler sends no body at all */
  cron: 1024,
} as const;

function tooLarge(maxBytes: number): Response {
  return Response.json(
    { error: `Request body too large: this endpoint accepts at most ${maxBytes} bytes.` },
    // the rest of the body is not read: closing the connection keeps a client from pushing it anyway
    { status: 413, headers: { connection: 'close', 'cache-control': 'no-store' } },
  );
}

const hasBody = (method: string) => method !== 'GET' && method !== 'HEAD';

export function withBodyLimit(maxBytes: number, handler: Handler): Handler {
  return async (req) => {
    if (!hasBody(req.method)) return handler(req);
    const declared = declaredLength(req.headers);
    if (declared !== null && declared > maxBytes) {
      await req.body?.cancel().catch(() => {});
      return tooLarge(maxBytes);
    }
    const read = await readCapped(req.body, maxBytes);
    if (!read.ok) return tooLarge(maxBytes);
    return handler(new Request(req.url, { method: req.method, headers: req.headers, body: read.bytes }));
  };
}
