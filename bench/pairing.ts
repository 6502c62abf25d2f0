// Pairing-list benchmark of the controller against the real openclaw (run: npx tsx bench/pairing.ts).
// In this order (the timed parts first, on a quiet machine; the whole bench takes ~100 s idle):
// 1. p50/p99 of GET /_kilo/pairing/channels served from the controller's cache, vs one real
//    `openclaw pairing list telegram --json` (p50 of 3 runs); ratio = CLI p50 / cached p99.
// 2. Freshness: seconds from a new request existing (its creating process has returned) until the
//    controller lists it; median of 5.
// 3. A storm of 100 pairing log lines in 1 s from the (stand-in) gateway: refreshes actually run
//    per kind, for a controller on the state-database fast path and one on the CLI path (worst is
//    reported). The approval part's gateway starts meanwhile: this part counts, it does not time.
// 4. Approvals (bench/pairing-approve.ts): through the pairing worker (gateway protocol) vs the CLI,
//    from the HTTP call until the request is gone from the list; a 50-approval burst's peak memory.
// Last line: one JSON object with the figures.
import { existsSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import os, { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  createChannelRequest,
  createOpenclawHome,
  ensureOpenclaw,
  type OpenclawHome,
  type RunningController,
  runOpenclaw,
  startController,
} from '../test/harness/openclaw';
import { sized } from './lib';
import { type ApproveBench, measureApprovals, startApproveBench } from './pairing-approve';

const TOKEN = 'bench-controller-token-0123456789abcdef';
const CACHED_REQUESTS = sized(5_000, 50);
const WARM_UP_REQUESTS = sized(3_000, 20); // let both processes' JIT settle: the first few thousand requests are slower
const CLI_RUNS = sized(3, 1);
const FRESHNESS_RUNS = sized(5, 1);
const STOP_GRACE_MS = 1_000;
const STORM_SETTLE_MS = 2_000 + sized(5_000, 500); // debounce, then room for a second (unwanted) refresh to show up

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}
const round = (n: number, digits = 3) => Number(n.toFixed(digits));

/** One keep-alive GET; resolves with the elapsed milliseconds and the body. */
function timedGet(agent: Agent, port: number, path: string): Promise<{ ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      { host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${TOKEN}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`GET ${path} → ${res.statusCode}`));
          resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, body });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

function countLogRefreshes(controller: RunningController): { channels: number; devices: number } {
  const counts = { channels: 0, devices: 0 };
  for (const line of controller.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; reason?: string; kind?: 'channels' | 'devices' };
      if (entry.msg === 'pairing refresh' && entry.reason === 'log' && entry.kind) counts[entry.kind] += 1;
    } catch {
      // gateway output, not a controller log line
    }
  }
  return counts;
}

async function waitForWarmUp(controller: RunningController): Promise<void> {
  const deadline = Date.now() + 120_000;
  const done = () => {
    const lines = controller.output().split('\n');
    const finished = (kind: string) =>
      lines.some(
        (l) =>
          l.includes('"msg":"pairing refresh done"') &&
          l.includes(`"kind":"${kind}"`) &&
          l.includes('"reason":"warm-up"'),
      );
    return finished('channels') && finished('devices');
  };
  while (!done()) {
    if (Date.now() > deadline) throw new Error('controller warm-up did not finish');
    await sleep(100);
  }
  for (;;) {
    const res = await fetch(`${controller.base}/_kilo/version`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (((await res.json()) as { openclaw: string | null }).openclaw) return;
    if (Date.now() > deadline) throw new Error('controller never read the openclaw version');
    await sleep(100);
  }
}

async function storm(controller: RunningController, trigger: string): Promise<{ channels: number; devices: number }> {
  const before = countLogRefreshes(controller);
  writeFileSync(trigger, 'go');
  const deadline = Date.now() + 5_000;
  while (existsSync(trigger) && Date.now() < deadline) await sleep(20);
  await sleep(1_000 + STORM_SETTLE_MS); // the 1 s storm, then debounce and the refresh itself
  const after = countLogRefreshes(controller);
  return { channels: after.channels - before.channels, devices: after.devices - before.devices };
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  const runtime = ensureOpenclaw();
  const home: OpenclawHome = createOpenclawHome({ gateway: { mode: 'local' } });
  const controllers: RunningController[] = [];
  let approveBench: ApproveBench | null = null;
  // started in parallel with other work; awaited in `finally` too, so a failure elsewhere leaks nothing
  let approveStarting: Promise<ApproveBench> | null = null;
  let cliStarting: Promise<unknown> | null = null;
  say(
    `machine load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')} (1 / 5 / 15 min, ${os.cpus().length} cores)`,
  );
  try {
    // Two requests so the list is not empty; this also creates openclaw's state database.
    await createChannelRequest(home, { id: '1000001', meta: { username: 'bench-a' } });
    await createChannelRequest(home, { id: '1000002', meta: { username: 'bench-b' } });

    const startStormController = async (fastPath: boolean) => {
      const trigger = join(home.dir, `storm-${fastPath ? 'fast' : 'cli'}`);
      const controller = await startController(home, {
        token: TOKEN,
        extraChannels: ['telegram'],
        fastPath,
        env: {
          CONTROLLER_GATEWAY_COMMAND: JSON.stringify([
            runtime.nodeBin,
            join(import.meta.dirname, 'fixtures', 'storm-gateway.mjs'),
          ]),
          STORM_TRIGGER: trigger,
        },
      });
      controllers.push(controller);
      return { controller, trigger };
    };

    // --- 1. cached list latency --------------------------------------------------------------
    const { controller: fast, trigger: fastTrigger } = await startStormController(true);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; ; i++) {
      const { body } = await timedGet(agent, fast.port, '/_kilo/pairing/channels');
      if ((JSON.parse(body) as { requests: unknown[] }).requests.length === 2) break;
      if (i > 300) throw new Error('controller never listed the two requests');
      await sleep(100);
    }
    // Measure the steady state: wait until the controller's own start-up CLI runs (warm-up
    // verification of both kinds, openclaw --version) are over; they take both cores for seconds.
    await waitForWarmUp(fast);
    for (let i = 0; i < WARM_UP_REQUESTS; i++) await timedGet(agent, fast.port, '/_kilo/pairing/channels');
    const cached: number[] = [];
    for (let i = 0; i < CACHED_REQUESTS; i++)
      cached.push((await timedGet(agent, fast.port, '/_kilo/pairing/channels')).ms);
    cached.sort((a, b) => a - b);
    const cachedP50 = percentile(cached, 50);
    const cachedP99 = percentile(cached, 99);
    say(
      `cached GET /_kilo/pairing/channels: p50 ${cachedP50.toFixed(3)} ms, p99 ${cachedP99.toFixed(3)} ms ` +
        `(${CACHED_REQUESTS} sequential keep-alive requests after ${WARM_UP_REQUESTS} ` +
        `warm-up; machine load average ${loadavg()[0]!.toFixed(1)})`,
    );

    // --- 1b. one real CLI list --------------------------------------------------------------------
    const cliTimes: number[] = [];
    for (let i = 0; i < CLI_RUNS; i++) {
      const started = performance.now();
      const result = await runOpenclaw(home, ['pairing', 'list', 'telegram', '--json']);
      if (result.code !== 0) throw new Error(`openclaw pairing list failed: ${result.stderr.slice(-300)}`);
      cliTimes.push(performance.now() - started);
    }
    cliTimes.sort((a, b) => a - b);
    const cliP50 = percentile(cliTimes, 50);
    const ratio = cliP50 / cachedP99;
    say(
      `openclaw pairing list telegram --json: ` +
        `${cliTimes.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')} → p50 ${(cliP50 / 1000).toFixed(2)} s`,
    );
    say(`ratio CLI p50 / cached p99: ${Math.round(ratio)}× (vs cached p50: ${Math.round(cliP50 / cachedP50)}×)`);

    // --- 2. freshness ----------------------------------------------------------------------------
    const freshness: number[] = [];
    const fromStart: number[] = [];
    for (let i = 0; i < FRESHNESS_RUNS; i++) {
      const id = `20000${i}`;
      const started = performance.now();
      // A separate account each time: openclaw keeps at most 3 pending requests per account.
      await createChannelRequest(home, { id, accountId: `bench${i}`, meta: { username: `fresh${i}` } });
      const created = performance.now();
      for (;;) {
        const { body } = await timedGet(agent, fast.port, '/_kilo/pairing/channels');
        if ((JSON.parse(body) as { requests: Array<{ id: string }> }).requests.some((r) => r.id === id)) break;
        if (performance.now() - created > 30_000) throw new Error(`request ${id} never appeared`);
        await sleep(20);
      }
      const seen = performance.now();
      freshness.push((seen - created) / 1000);
      fromStart.push((seen - started) / 1000);
    }
    freshness.sort((a, b) => a - b);
    fromStart.sort((a, b) => a - b);
    const freshnessMedian = percentile(freshness, 50);
    say(
      `freshness: ${freshness.map((s) => s.toFixed(2)).join(', ')} s → median ${freshnessMedian.toFixed(2)} s ` +
        `(counting the creating process too: median ${percentile(fromStart, 50).toFixed(2)} s)`,
    );
    // Everything above was timed on a quiet machine. The storms only count refreshes, so the approval
    // part's real gateway and controllers start meanwhile; they are waited for before it is timed.
    approveStarting = startApproveBench(TOKEN);
    approveStarting.catch(() => undefined); // awaited before the approvals

    // --- 3. storm of pairing log lines -----------------------------------------------------------
    // The CLI-path controller starts (and runs its warm-up CLI reads) during the fast-path storm:
    // that storm counts the fast controller's refreshes only, and its settle time is mostly waiting.
    const cliStart = startStormController(false);
    cliStarting = cliStart;
    cliStart.catch(() => undefined); // awaited below
    const fastStorm = await storm(fast, fastTrigger);
    say(`storm, fast-path controller: refreshes run channels=${fastStorm.channels} devices=${fastStorm.devices}`);
    const { controller: viaCli, trigger: cliTrigger } = await cliStart;
    // Let its warm-up CLI read finish first, so the storm's refresh is not queued behind it.
    for (let i = 0; ; i++) {
      const { body } = await timedGet(agent, viaCli.port, '/_kilo/pairing/channels');
      if ((JSON.parse(body) as { lastUpdated: string | null }).lastUpdated) break;
      if (i > 600) throw new Error('CLI-path controller never finished its warm-up');
      await sleep(100);
    }
    const cliStorm = await storm(viaCli, cliTrigger);
    say(`storm, CLI-path controller:  refreshes run channels=${cliStorm.channels} devices=${cliStorm.devices}`);
    await viaCli.stop();

    agent.destroy();

    // --- 4. approvals ------------------------------------------------------------------------------
    approveBench = await approveStarting;
    await Promise.all([approveBench.viaGateway, approveBench.viaCli].map(waitForWarmUp)); // their CLI reads done
    const loadBefore = loadavg()[0]!;
    const approvals = await measureApprovals(approveBench, say);
    const sorted = (xs: number[]) => xs.toSorted((a, b) => a - b);
    const ch = sorted(approvals.channelMs);
    const dev = sorted(approvals.deviceMs);
    const cliApprove = sorted(approvals.cliMs);
    const approveChannelP50 = percentile(ch, 50);
    const approveRatio = percentile(cliApprove, 50) / approveChannelP50;
    const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
    say(
      `approve channel via gateway (call → gone from list): p50 ${approveChannelP50.toFixed(0)} ms, p99 ${percentile(ch, 99).toFixed(0)} ms (n=${ch.length}: ${ms(ch)})`,
    );
    say(`approve device via gateway: p50 ${percentile(dev, 50).toFixed(0)} ms (n=${dev.length}: ${ms(dev)})`);
    say(
      `approve channel via CLI: p50 ${percentile(cliApprove, 50).toFixed(0)} ms (n=${cliApprove.length}: ${ms(cliApprove)})`,
    );
    say(`ratio CLI p50 / gateway p50: ${approveRatio.toFixed(1)}×; paths taken: ${JSON.stringify(approvals.paths)}`);
    const b = approvals.burst;
    say(
      `burst of ${b.size} approvals on the CLI path: answers ${JSON.stringify(b.byStatus)} in ${b.seconds.toFixed(1)} s ` +
        `(first round; ${b.stillQueued} still queued, cancelled with the controller); ` +
        `peak ${b.peakCli} CLI processes; controller tree RSS ${b.baseRssMb.toFixed(0)} MB → peak ${b.peakRssMb.toFixed(0)} MB`,
    );
    say(`pairing worker (gateway path) RSS: ${approvals.workerRssMb.toFixed(0)} MB, steady`);
    say(`pairing worker cold start (first list request → connected): ${approveBench.workerColdStartMs.toFixed(0)} ms`);
    say(`load average during approvals: ${loadBefore.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);

    say(`bench took ${((Date.now() - benchStarted) / 1000).toFixed(1)} s`);
    say(
      JSON.stringify({
        cached_p99_ms: round(cachedP99),
        cli_p50_ms: round(cliP50, 1),
        ratio: Math.round(ratio),
        storm_refreshes_channels: Math.max(fastStorm.channels, cliStorm.channels),
        storm_refreshes_devices: Math.max(fastStorm.devices, cliStorm.devices),
        freshness_s: round(freshnessMedian, 2),
        approve_channel_p50_ms: round(approveChannelP50, 1),
        approve_channel_p99_ms: round(percentile(ch, 99), 1),
        approve_device_p50_ms: round(percentile(dev, 50), 1),
        approve_cli_p50_ms: round(percentile(cliApprove, 50), 1),
        approve_cli_failures: approvals.cliFailures.length,
        approve_ratio: round(approveRatio, 1),
        burst_peak_rss_mb: Math.round(b.peakRssMb),
        burst_peak_cli_processes: b.peakCli,
        burst_busy_503: b.byStatus['503'] ?? 0,
        worker_rss_mb: Math.round(approvals.workerRssMb),
        worker_cold_start_ms: Math.round(approveBench.workerColdStartMs),
        load_avg_1m: round(loadavg()[0]!, 2),
      }),
    );
  } finally {
    await cliStarting?.catch(() => undefined); // it adds itself to `controllers`
    approveBench ??= (await approveStarting?.catch(() => null)) ?? null;
    // Everything is measured: a short grace, then SIGKILL (a graceful gateway shutdown adds ~10 s).
    await Promise.all([...controllers.map((c) => c.stop(STOP_GRACE_MS)), approveBench?.stop(STOP_GRACE_MS)]);
    home.remove();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
