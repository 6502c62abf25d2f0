// bench:pairing-e2e — the tRPC procedure kiloclaw.listChannelPairingRequests on a real instance
// (local provider: the real controller supervising a real openclaw gateway, one real pending request),
// measured two ways in the same run:
//   controller: the normal path — the controller answers from its cache (milliseconds)
//   fallback:   the same procedure against an older controller that does not know the pairing
//               routes (a proxy answering 404 controller_route_unavailable for them), so the app runs
//               the openclaw CLI through provider exec; `refresh: true` so every call really execs
//               (a cached fallback answer is printed for reference, not used in the ratio)
// ratio = fallback p50 / controller p99 (how many times faster the controller path is, conservatively).

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { controllerToken } from '@/contracts/controller-token';
import { kiloclawInstances, kiloclawSubscriptions } from '@/db/schema';
import { createLocalProvider } from '@/instances/providers/local/local-provider';
import { createLogger } from '@/platform/logger';
import { createAppDeps } from '@/server/app-deps';
import { createAppHandlers, routeRequest } from '@/server/http/app-handlers';
import { createChannelRequest, ensureOpenclaw } from '../test/harness/openclaw';
import { benchConfig, benchDatabase, round, serveFetch, sized } from './lib';

const CONTROLLER_CALLS = Number(process.env.BENCH_CONTROLLER_CALLS ?? sized(300, 5));
const FALLBACK_CALLS = Number(process.env.BENCH_FALLBACK_CALLS ?? sized(3, 1));
const WARM_UP_CALLS = sized(30, 3); // each one runs the CLI (seconds)

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: round(percentile(s, 50), 2), p99: round(percentile(s, 99), 2), n: s.length };
};

/** An "older controller": pairing routes are unknown to it; everything else is passed through. */
async function legacyControllerProxy(target: string) {
  const server = http.createServer((req, res) => {
    void (async () => {
      if ((req.url ?? '').startsWith('/_kilo/pairing')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'controller_route_unavailable' }));
        return;
      }
      const upstream = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers: { authorization: req.headers.authorization ?? '' },
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(await upstream.text());
    })().catch(() => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

async function main() {
  const began = performance.now();
  ensureOpenclaw();
  const database = await benchDatabase();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-bench-pairing-'));
  const logger = createLogger({ level: 'silent' });
  const provider = createLocalProvider({ dataDir, logger, controllerEnv: { CONTROLLER_EXTRA_CHANNELS: 'telegram' } });
  const config = benchConfig();
  const deps = createAppDeps({ config, db: database.db, logger, machineProvider: provider, startWaitMs: 180_000 });
  const handlers = createAppHandlers(deps);
  const server = await serveFetch((req) => routeRequest(handlers, req));
  let proxy: Awaited<ReturnType<typeof legacyControllerProxy>> | undefined;

  try {
    const signUp = await fetch(`${server.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1' },
      body: JSON.stringify({ email: 'bench@example.test', password: 'bench-password-1', name: 'Bench' }),
    });
    if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status}`);
    const userId = ((await signUp.json()) as { user: { id: string } }).user.id;
    const cookie = signUp.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    await database.db.insert(kiloclawSubscriptions).values({ userId, status: 'active', plan: 'standard' });

    const start = await fetch(`${server.url}/api/trpc/kiloclaw.startInstance`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: '{}',
    });
    if (!start.ok) throw new Error(`startInstance failed: ${start.status} ${await start.text()}`);
    const [row] = await database.db.select().from(kiloclawInstances).where(eq(kiloclawInstances.userId, userId));
    if (row?.status !== 'running') throw new Error(`instance is ${row?.status}, not running`);
    console.log(
      `instance running (real controller + openclaw gateway) after ${round((performance.now() - began) / 1000, 1)} s`,
    );

    const stateDir = provider.stateDirOf(row.volumeId!);
    const home = provider.homeDirOf(row.volumeId!);
    const { code } = await createChannelRequest(
      { dir: dataDir, stateDir, home, env: { HOME: home, OPENCLAW_STATE_DIR: stateDir }, remove: () => {} },
      { channel: 'telegram', id: '555000111' },
    );

    const list = async (refresh: boolean) => {
      const input = refresh ? `?input=${encodeURIComponent(JSON.stringify({ json: { refresh: true } }))}` : '';
      const t = performance.now();
      const res = await fetch(`${server.url}/api/trpc/kiloclaw.listChannelPairingRequests${input}`, {
        headers: { cookie },
      });
      const body = (await res.json()) as {
        result?: { data: { json: { source: string; requests: Array<{ code: string }> } } };
      };
      const ms = performance.now() - t;
      if (!res.ok || !body.result)
        throw new Error(`list answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
      return { ms, ...body.result.data.json };
    };

    // wait until the controller's cache shows the request (it polls openclaw's state every second)
    for (let i = 0; ; i++) {
      if ((await list(false)).requests.some((r) => r.code === code)) break;
      if (i > 120) throw new Error('the pending request never showed up through the controller');
      await new Promise((r) => setTimeout(r, 500));
    }

    // steady state: a refresh through the controller waits for its start-up read (single-flight), so
    // that CLI run is over before measuring; the next periodic one is 60–120 s away
    await list(true);
    for (let i = 0; i < WARM_UP_CALLS; i++) await list(false); // warm-up
    // Interleaved, so all three series see the same background load (the gateway, the controller's
    // periodic CLI refresh, whatever else runs on the machine):
    //   the procedure through the controller; the gate alone (getInstanceStatus: session + access +
    //   instance read, no controller); the controller alone (direct GET, no app)
    const controllerMs: number[] = [];
    const gateMs: number[] = [];
    const directMs: number[] = [];
    const token = controllerToken(config.CONTROLLER_SECRET!, row.id);
    const timed = async (url: string, headers: Record<string, string>) => {
      const t = performance.now();
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      return performance.now() - t;
    };
    for (let i = 0; i < CONTROLLER_CALLS; i++) {
      const r = await list(false);
      if (r.source !== 'controller' || !r.requests.some((q) => q.code === code))
        throw new Error('controller path gave a wrong answer');
      controllerMs.push(r.ms);
      gateMs.push(await timed(`${server.url}/api/trpc/kiloclaw.getInstanceStatus`, { cookie }));
      directMs.push(await timed(`${row.controllerUrl}/_kilo/pairing/channels`, { authorization: `Bearer ${token}` }));
    }

    proxy = await legacyControllerProxy(row.controllerUrl!);
    await database.db
      .update(kiloclawInstances)
      .set({ controllerUrl: proxy.url })
      .where(eq(kiloclawInstances.id, row.id));
    const fallbackMs: number[] = [];
    for (let i = 0; i < FALLBACK_CALLS; i++) {
      const r = await list(true);
      if (r.source !== 'fallback' || !r.requests.some((q) => q.code === code))
        throw new Error('fallback path gave a wrong answer');
      fallbackMs.push(r.ms);
    }
    const cached = await list(false);

    const c = stats(controllerMs);
    const f = stats(fallbackMs);
    const ratio = round(f.p50 / c.p99, 1);
    console.log(`controller  n=${c.n}  p50 ${c.p50} ms  p99 ${c.p99} ms`);
    const g = stats(gateMs);
    const d = stats(directMs);
    console.log(
      `  reference: gate only (getInstanceStatus) p50 ${g.p50} ms  p99 ${g.p99} ms; ` +
        `controller alone (direct GET) p50 ${d.p50} ms  p99 ${d.p99} ms`,
    );
    console.log(
      `fallback    n=${f.n}  p50 ${f.p50} ms  p99 ${f.p99} ms  (openclaw CLI via exec, 3 channels in parallel)`,
    );
    console.log(`fallback, answered from the PostgreSQL cache: ${round(cached.ms, 2)} ms (reference only)`);
    console.log(`ratio fallback p50 / controller p99 = ${ratio}  (acceptance: controller p99 < 50 ms and ratio >= 20)`);
    console.log(`total ${round((performance.now() - began) / 1000, 1)} s`);
    console.log(JSON.stringify({ controller_p99_ms: c.p99, fallback_p50_ms: f.p50, ratio }));
  } finally {
    await proxy?.close();
    await provider.close();
    await server.close();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
