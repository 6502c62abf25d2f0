// A client that can do what fetch will not: declare one Content-Length and send another, stream a
// body in chunks, and keep the server's answer even when the server stops reading and closes early.
import http from 'node:http';

export type RawAnswer = { status: number; headers: http.IncomingHttpHeaders; body: string };

export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; chunks: Iterable<Buffer | string> },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // the server may close while we are still sending (that is the point): only fail without an answer
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    void (async () => {
      for (const c of opts.chunks) {
        if (req.destroyed) return;
        if (!req.write(c)) await drainOrClose(req);
      }
      req.end();
    })();
  });
}

function drainOrClose(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      req.off('drain', done).off('close', done);
      resolve();
    };
    req.on('drain', done).on('close', done);
  });
}

/** `total` bytes of `fill`, in 64 kB chunks, without building the whole body first. */
export function* bytes(total: number, fill = 'a'): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024, fill);
  for (let sent = 0; sent < total; sent += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, total - sent));
}
