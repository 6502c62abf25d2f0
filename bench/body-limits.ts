// What an 8 MB body costs the app: the tRPC and auth routes as they are now (Content-Length refused
// before reading, bodies read with a byte cap) against the same handlers without the cap (the body
// read whole before failing, as they did before). Same server, same run; time per request and the
// memory held while answering. Ends with one JSON line.
import http from 'node:http';
import os from 'node:os';
import { createAppDeps } from '@/server/app-deps';
import { createAppHandlers } from '@/server/http/app-handlers';
import { createTrpcHandler } from '@/server/http/trpc-handler';
import { benchConfig, benchDatabase, round, serveFetch, sized } from './lib';

const BODY_BYTES = 8 * 1024 * 1024;
const ROUNDS = sized(12, 2);

/** A valid JSON body of BODY_BYTES (the worst case: a parser reads and parses all of it). */
const body = Buffer.from(JSON.stringify({ 0: { json: { x: 'a'.repeat(BODY_BYTES - 20) } } }));

let cookie = '';

function post(url: string, chunked: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const headers: Record<string, string> = { 'content-type': 'application/json', origin: 'http://127.0.0.1', cookie };
    if (chunked) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = String(body.length);
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      answered = true;
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    req.end(body);
  });
}

type Figures = { ms_per_request: number; peak_mb: number; statuses: string };

/** Sequential requests while sampling this process's memory (server and client share it). */
async function measure(url: string, chunked: boolean): Promise<Figures> {
  global.gc?.();
  const base = process.memoryUsage();
  let peak = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers - (base.heapUsed + base.arrayBuffers));
  }, 2);
  const statuses = new Set<number>();
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) statuses.add(await post(url, chunked));
  const ms = (performance.now() - started) / ROUNDS;
  clearInterval(sampler);
  return { ms_per_request: round(ms, 1), peak_mb: round(peak / 1024 / 1024, 1), statuses: [...statuses].join(',') };
}

async function main() {
  const database = await benchDatabase();
  const deps = createAppDeps({ config: benchConfig(), db: database.db });
  const { trpc, auth } = createAppHandlers(deps);
  const capped = await serveFetch(async (req) =>
    new URL(req.url).pathname.startsWith('/api/auth/') ? auth(req) : trpc(req),
  );
  const uncappedAuth = (req: Request) => deps.auth.handler(req);
  const uncappedTrpc = createTrpcHandler(deps);
  const uncapped = await serveFetch(async (req) =>
    new URL(req.url).pathname.startsWith('/api/auth/') ? uncappedAuth(req) : uncappedTrpc(req),
  );

  // signed in, so tRPC gets as far as reading the input of a procedure that takes one
  const signUp = await fetch(`${capped.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1' },
    body: JSON.stringify({ email: 'bench@example.test', password: 'bench-password-1', name: 'Bench' }),
  });
  if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status}`);
  cookie = signUp.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');

  const routes = { trpc: '/api/trpc/kiloclaw.switchPlan', auth: '/api/auth/sign-up/email' } as const;
  const out: Record<string, Figures> = {};
  for (const [name, path] of Object.entries(routes)) {
    out[`${name}_before`] = await measure(`${uncapped.url}${path}`, false);
    out[`${name}_capped`] = await measure(`${capped.url}${path}`, false);
    out[`${name}_capped_chunked`] = await measure(`${capped.url}${path}`, true);
  }
  await capped.close();
  await uncapped.close();
  await database.stop();

  for (const [k, f] of Object.entries(out))
    console.log(
      `${k.padEnd(22)} ${String(f.ms_per_request).padStart(7)} ms/request  peak +${f.peak_mb} MB  HTTP ${f.statuses}`,
    );
  const ratio = (name: string) =>
    round(out[`${name}_capped`]!.ms_per_request / out[`${name}_before`]!.ms_per_request, 3);
  console.log(
    `ratio capped/before: trpc ${ratio('trpc')}, auth ${ratio('auth')} (${ROUNDS} × 8 MB each; load average ` +
      `${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`,
  );
  // one flat object of numbers: `<case>_ms` per request and `<case>_peak_mb` held while answering
  const flat = Object.fromEntries(
    Object.entries(out).flatMap(([k, f]) => [
      [`${k}_ms`, f.ms_per_request],
      [`${k}_peak_mb`, f.peak_mb],
    ]),
  );
  console.log(JSON.stringify({ ...flat, ratio_trpc: ratio('trpc'), ratio_auth: ratio('auth') }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
