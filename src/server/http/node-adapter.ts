// node:http <-> fetch Request/Response, for servers outside Next (tests, emulators).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SOCKET_ADDRESS_HEADER } from './client-ip';

/**
 * The body is passed on as a stream, not read here: the handler's byte cap (body-limit.ts) decides
 * how much of it is ever read, exactly as under Next.
 */
/**
 * The request body as a web stream that reads from the socket only as fast as it is consumed. On
 * cancel it stops keeping data; what still arrives is discarded, not buffered. (Readable.toWeb keeps
 * enqueuing after a cancel on Node 20 and throws.)
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.pause();
      req.on('data', (c: Buffer) => {
        if (finished) return;
        controller.enqueue(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once('end', () => {
        if (!finished) controller.close();
        finished = true;
      });
      req.once('error', (err) => {
        if (!finished) controller.error(err);
        finished = true;
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      finished = true;
      req.resume(); // drain to nowhere; the 413 answer closes the connection
    },
  });
}

export async function toFetchRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) {
      for (const x of v) headers.append(k, x);
    } else if (v !== undefined) headers.set(k, v);
  }
  // what the client sent under this name is overwritten: only the server knows the peer
  headers.set(SOCKET_ADDRESS_HEADER, req.socket.remoteAddress ?? '');
  const method = req.method ?? 'GET';
  const bodyless = method === 'GET' || method === 'HEAD';
  return new Request(new URL(req.url ?? '/', origin), {
    method,
    headers,
    body: bodyless ? undefined : bodyStream(req),
    // a streamed request body must say so (fetch spec); it is only read by the handler
    ...(bodyless ? {} : { duplex: 'half' }),
  } as RequestInit);
}

export async function sendFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  const cookies = response.headers.getSetCookie();
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie') res.setHeader(k, v);
  });
  if (cookies.length) res.setHeader('set-cookie', cookies);
  res.statusCode = response.status;
  res.end(Buffer.from(await response.arrayBuffer()));
}
