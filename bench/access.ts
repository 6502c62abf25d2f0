// bench:access — what the access gate costs. Three routes on one server under autocannon (10
// connections; gated and bare 10 s each in alternating 2.5 s slices after a warm-up) in the same run:
//   gated: the real tRPC query kiloclaw.getInstanceStatus (session lookup + access read + instance read)
//   bare:  a plain route handler doing the same session lookup and subscription read, no tRPC
//   empty: a handler that answers at once (the floor of this HTTP stack, for reference)
// ratio = gated / bare throughput: the overhead of tRPC + clawAccessProcedure over doing the reads by hand.

import { decideAccess } from '@/billing/access';
import { loadAccessRows } from '@/billing/subscription-store';
import { createLogger } from '@/platform/logger';
import { createAppDeps } from '@/server/app-deps';
import { sessionUser } from '@/server/auth';
import { createAppHandlers, routeRequest } from '@/server/http/app-handlers';
import { benchConfig, benchDatabase, type LoadResult, load, round, serveFetch, sized } from './lib';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function combine(rs: LoadResult[]): LoadResult {
  return {
    rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length,
    p50_ms: median(rs.map((r) => r.p50_ms)),
    p99_ms: median(rs.map((r) => r.p99_ms)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
  };
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? sized(10, 1));
const WARM_UP_SECONDS = sized(2, 0.5);

async function main() {
  const database = await benchDatabase();
  let serverUrl = '';
  const config = benchConfig();
  const deps = createAppDeps({ config, db: database.db, logger: createLogger({ level: 'silent' }) });
  const handlers = createAppHandlers(deps);

  const server = await serveFetch(async (req) => {
    const { pathname } = new URL(req.url);
    if (pathname === '/bench/empty') return Response.json({ ok: true });
    if (pathname === '/bench/bare') {
      const user = await sessionUser(deps.auth, req.headers);
      if (!user) return Response.json({ error: 'unauthorized' }, { status: 401 });
      const decision = decideAccess(await loadAccessRows(deps.db, user.id), new Date());
      return Response.json(decision, { status: decision.allowed ? 200 : 403 });
    }
    return routeRequest(handlers, req);
  });
  serverUrl = server.url;

  // a user on a running trial
  const signUp = await fetch(`${serverUrl}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1' },
    body: JSON.stringify({ email: 'bench@example.test', password: 'bench-password-1', name: 'Bench' }),
  });
  if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`);
  const cookie = signUp.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const trial = await fetch(`${serverUrl}/api/trpc/kiloclaw.startTrial`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: '{}',
  });
  if (!trial.ok) throw new Error(`startTrial failed: ${trial.status}`);
  const check = await fetch(`${serverUrl}/api/trpc/kiloclaw.getInstanceStatus`, { headers: { cookie } });
  if (check.status !== 200) throw new Error(`gated route answered ${check.status}: ${await check.text()}`);

  const headers = { cookie };
  const gatedUrl = `${serverUrl}/api/trpc/kiloclaw.getInstanceStatus`;
  const bareUrl = `${serverUrl}/bench/bare`;
  // warm both paths (JIT, connection pool), then alternate short slices so both see the same
  // background load; throughput is total requests over total time, latencies the median slice's
  await load({ url: gatedUrl, headers, seconds: WARM_UP_SECONDS });
  await load({ url: bareUrl, headers, seconds: WARM_UP_SECONDS });
  const slices = { gated: [] as LoadResult[], bare: [] as LoadResult[] };
  const sliceSeconds = SECONDS / 4;
  for (let i = 0; i < 4; i++) {
    slices.gated.push(await load({ url: gatedUrl, headers, seconds: sliceSeconds }));
    slices.bare.push(await load({ url: bareUrl, headers, seconds: sliceSeconds }));
  }
  const gated = combine(slices.gated);
  const bare = combine(slices.bare);
  const empty = await load({ url: `${serverUrl}/bench/empty`, seconds: sliceSeconds });

  await server.close();
  await database.stop();

  for (const [name, r] of Object.entries({ gated, bare, empty })) {
    console.log(
      `${name.padEnd(6)} ${round(r.rps, 0)} req/s  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms  errors ${r.errors}  non-2xx ${r.non2xx}`,
    );
  }
  if (gated.non2xx || bare.non2xx) throw new Error('a route answered non-2xx under load; figures are not valid');
  const ratio = round(gated.rps / bare.rps, 3);
  console.log(`ratio gated/bare = ${ratio} (gated/empty = ${round(gated.rps / empty.rps, 3)})`);
  console.log(
    JSON.stringify({ gated_rps: round(gated.rps, 1), bare_rps: round(bare.rps, 1), gated_p99_ms: gated.p99_ms, ratio }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
