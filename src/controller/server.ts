// node:http glue for routes.ts: URL parsing, a bounded JSON body reader, JSON replies, and a
// last-resort 500 that never leaks internals.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { errorMessage } from '../platform/error-message';
import { BodyError, type RoutesDeps, routeRequest } from './routes';

const MAX_BODY_BYTES = 16 * 1024; // an approve body is < 200 bytes

export function createControllerServer(deps: RoutesDeps): Server {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://controller.local');
    const started = process.hrtime.bigint();
    routeRequest(deps, {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      readBody: () => readJsonBody(req),
    })
      .catch((error: unknown) => {
        deps.log.error({ path: url.pathname, error }, 'request failed');
        return { status: 500, body: { error: 'Internal error' }, json: undefined };
      })
      .then(({ status, body, json }) => {
        const payload = json ?? JSON.stringify(body);
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(payload),
        });
        res.end(payload);
        if (status >= 400 && status !== 404) {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          deps.log.info({ method: req.method, path: url.pathname, status, ms }, 'request answered with an error');
        }
      })
      .catch((error: unknown) => {
        // the reply itself failed (the client went away mid-write): nothing left to answer
        deps.log.error({ path: url.pathname, error: errorMessage(error) }, 'reply failed');
        res.destroy();
      });
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 400_000; // a channel apply runs up to 3 CLI runs (120 s timeout each) in a row
  return server;
}

function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new BodyError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return reject(new BodyError(400, 'request body must be a JSON object'));
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new BodyError(400, 'request body is not valid JSON'));
      }
    });
    req.on('error', () => {
      if (!failed) reject(new BodyError(400, 'request body could not be read'));
    });
  });
}
