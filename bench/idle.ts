// What an idle instance costs in its machine (run: npm run bench:idle). Two controllers share one
// openclaw state directory and one real gateway, at production timings, with nothing happening:
// - "fast": the state-database fast path on, as deployed (it supervises the gateway);
// - "baseline": the fast path off, so the CLI answers every refresh (what the controller used to
//   pay for verification: one CLI process per kind every 60–120 s).
// One request of each kind waits unapproved: no pairing activity, but it puts the baseline on its
// 60 s cadence, so one whole cycle of it fits in the window and the bench stays under 2 minutes.
// Over the same WINDOW_S of steady state (each controller's start-up CLI runs are over) it counts
// the CLI processes each controller starts (its children, watched in /proc), the CPU of each
// controller with those children (utime+stime, /proc/<pid>/stat) and its VmRSS; the gateway's
// process tree is reported apart. Then: how fast a new request shows on the fast controller.
// Last line: one JSON object with the figures.
import { loadavg } from 'node:os';
import { eventually } from '../test/harness/eventually';
import {
  createChannelRequest,
  createDeviceRequest,
  createOpenclawHome,
  ensureOpenclaw,
  type RunningController,
  startController,
} from '../test/harness/openclaw';
import { sized } from './lib';
import {
  CLOCK_TICKS,
  commandLine,
  descendants,
  type ProcInfo,
  privateMb,
  readProcesses,
  rssMb,
  treeTicks,
} from './proc-tree';

const TOKEN = 'bench-idle-controller-token-0123456789';
const WINDOW_S = sized(70, 5); // the baseline's 60 s between two CLI reads of a waiting request, plus that run
const SAMPLE_MS = 250; // a CLI run lasts seconds: none slips between two samples
const START_TIMEOUT_MS = 150_000; // gateway ready in ~9 s idle, far longer on a busy shared machine

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

/** openclaw's CLI, by its script or by the title it gives itself (openclaw-pairing, …); not the worker. */
const isOpenclawCli = (argv: string[]) =>
  argv.some((arg) => arg.endsWith('openclaw.mjs') || /^openclaw(-|$)/.test(arg));

/** One controller's process tree: its CLI children, its gateway subtree (if it supervises one), peaks. */
class TreeWatch {
  readonly cliSpawns = new Map<number, string>();
  private known = new Set<number>();
  /** Processes a counted CLI run started itself (openclaw's SQLite helpers and the like). */
  private readonly inCliRun = new Set<number>();
  /** The supervised gateway (its pid from the controller's status route; openclaw renames its processes). */
  gatewayPid: number | null = null;
  peakRssMb = 0;
  peakPrivateMb = 0;
  peakRssWithCliMb = 0;
  peakGatewayRssMb = 0;

  constructor(readonly controller: RunningController) {}

  get pid(): number {
    return this.controller.child.pid!;
  }

  /** Marks the processes alive now as known: only children started later count as spawns. */
  startWindow(procs: Map<number, ProcInfo>): void {
    this.known = new Set(descendants(procs, this.pid));
  }

  sample(procs: Map<number, ProcInfo>): void {
    const own = this.split(procs);
    // A CLI run is the topmost new openclaw process outside the gateway, started by the controller
    // or by a helper process of its own; what a CLI process starts itself is part of that run.
    for (const pid of [...own.nonGateway].sort((a, b) => a - b)) {
      if (this.known.has(pid) || this.cliSpawns.has(pid)) continue;
      const parent = procs.get(pid)?.ppid ?? 0;
      const argv = commandLine(pid);
      if (this.cliSpawns.has(parent) || this.inCliRun.has(parent)) {
        this.inCliRun.add(pid);
        continue;
      }
      if (!isOpenclawCli(argv)) {
        this.known.add(pid);
        continue;
      }
      // Without the node and openclaw.mjs paths, and without the gateway token's value.
      const args = argv.filter((arg) => !arg.startsWith('/'));
      const token = args.indexOf('--token');
      if (token >= 0) args.splice(token, 2);
      this.cliSpawns.set(pid, args.join(' ').slice(0, 60));
    }
    const controllerRss = rssMb(this.pid);
    this.peakRssMb = Math.max(this.peakRssMb, controllerRss);
    this.peakPrivateMb = Math.max(this.peakPrivateMb, privateMb(this.pid));
    this.peakRssWithCliMb = Math.max(
      this.peakRssWithCliMb,
      own.nonGateway.reduce((sum, pid) => sum + rssMb(pid), controllerRss),
    );
    if (own.gateway.length > 0)
      this.peakGatewayRssMb = Math.max(
        this.peakGatewayRssMb,
        own.gateway.reduce((s, pid) => s + rssMb(pid), 0),
      );
  }

  /** CPU ticks so far of the controller with its CLI children, and of the gateway's tree. */
  ticks(procs: Map<number, ProcInfo>): { controller: number; gateway: number } {
    const own = this.split(procs);
    return { controller: treeTicks(procs, [this.pid, ...own.nonGateway]), gateway: treeTicks(procs, own.gateway) };
  }

  /** Live processes under the controller: outside the gateway's subtree, and that subtree. */
  private split(procs: Map<number, ProcInfo>) {
    const gateway = this.gatewayPid === null ? [] : [this.gatewayPid, ...descendants(procs, this.gatewayPid)];
    const inGateway = new Set(gateway);
    return {
      nonGateway: descendants(procs, this.pid).filter((pid) => !inGateway.has(pid)),
      gateway,
    };
  }
}

/** Until both warm-up reads are done, openclaw's version is known and no CLI child is left (helpers stay). */
async function waitForStartUpCli(watch: TreeWatch): Promise<void> {
  const { controller } = watch;
  const warmedUp = (kind: string) =>
    controller
      .output()
      .split('\n')
      .some(
        (l) => l.includes('"msg":"pairing refresh done"') && l.includes(`"kind":"${kind}"`) && l.includes('warm-up'),
      );
  await eventually(
    async () => {
      if (!warmedUp('channels') || !warmedUp('devices')) return undefined;
      const version = (await controller.get('/_kilo/version')).body as { openclaw: string | null };
      if (!version.openclaw) return undefined;
      const procs = readProcesses();
      const children = [...procs.values()].filter((p) => p.ppid === watch.pid).map((p) => p.pid);
      return children.some((pid) => pid !== watch.gatewayPid && isOpenclawCli(commandLine(pid))) ? undefined : true;
    },
    { timeoutMs: START_TIMEOUT_MS, intervalMs: 250, what: 'the controller’s start-up CLI runs' },
  );
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  ensureOpenclaw();
  const home = createOpenclawHome({ gateway: { mode: 'local' } });
  const controllers: RunningController[] = [];
  try {
    await createChannelRequest(home, { id: '3000001', meta: { username: 'waiting' } }); // also creates the database
    await createDeviceRequest(home, { displayName: 'Waiting laptop' });

    const fastController = await startController(home, { token: TOKEN, extraChannels: ['telegram'] });
    controllers.push(fastController);
    const gateway = await eventually(
      async () => {
        const status = (await fastController.get('/_kilo/gateway/status')).body as { state: string; pid: number };
        return status.state === 'running' ? status : undefined;
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 250, what: 'the gateway' },
    );
    say(`gateway ready ${((Date.now() - benchStarted) / 1000).toFixed(1)} s after the bench started`);
    const baselineController = await startController(home, {
      token: TOKEN,
      gateway: 'off',
      gatewayPort: fastController.gatewayPort,
      gatewayToken: fastController.gatewayToken,
      extraChannels: ['telegram'],
      fastPath: false,
    });
    controllers.push(baselineController);
    const fast = new TreeWatch(fastController);
    fast.gatewayPid = gateway.pid;
    const baseline = new TreeWatch(baselineController);
    await Promise.all([waitForStartUpCli(fast), waitForStartUpCli(baseline)]).catch((error: unknown) => {
      for (const c of controllers) process.stderr.write(`${c.output().slice(-3000)}\n`);
      throw error;
    });
    if (!fastController.output().includes('state database fast path on'))
      throw new Error('the fast controller never turned its fast path on: its figures would mean nothing');

    // --- the window ------------------------------------------------------------------------
    const loadBefore = loadavg()[0]!;
    let procs = readProcesses();
    const startTicks = { fast: fast.ticks(procs), baseline: baseline.ticks(procs) };
    fast.startWindow(procs);
    baseline.startWindow(procs);
    const windowStarted = performance.now();
    const windowStartIso = new Date().toISOString();
    while (performance.now() - windowStarted < WINDOW_S * 1000) {
      await sleep(SAMPLE_MS);
      procs = readProcesses();
      fast.sample(procs);
      baseline.sample(procs);
    }
    const seconds = (performance.now() - windowStarted) / 1000;
    const endTicks = { fast: fast.ticks(procs), baseline: baseline.ticks(procs) };
    const loadAfter = loadavg()[0]!;

    const pctOfCore = (ticks: number) => (ticks / CLOCK_TICKS / seconds) * 100;
    const perHour = (spawns: number) => (spawns * 3600) / seconds;
    const figures = (watch: TreeWatch, key: 'fast' | 'baseline') => ({
      spawns: watch.cliSpawns.size,
      perHour: perHour(watch.cliSpawns.size),
      cpuPct: pctOfCore(endTicks[key].controller - startTicks[key].controller),
    });
    const f = figures(fast, 'fast');
    const b = figures(baseline, 'baseline');
    const gatewayCpuPct = pctOfCore(endTicks.fast.gateway - startTicks.fast.gateway);
    /** The controller's own log of the CLI reads it ran in the window (a cross-check of the count). */
    const cliReasons = (watch: TreeWatch) =>
      watch.controller
        .output()
        .split('\n')
        .filter((l) => l.includes('"msg":"pairing refresh"') && l.includes('"path":"cli"'))
        .map((l) => JSON.parse(l) as { time: string; kind: string; reason: string })
        .filter((e) => e.time >= windowStartIso)
        .map((e) => `${e.kind}/${e.reason}`);

    say(
      `window: ${seconds.toFixed(1)} s of steady state; load average (1 min) ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`,
    );
    say(
      `fast path on:  ${f.spawns} CLI processes → ${f.perHour.toFixed(0)}/h; controller CPU ${f.cpuPct.toFixed(2)} % of a core; ` +
        `RSS ${fast.peakRssMb.toFixed(1)} MB, ${fast.peakPrivateMb.toFixed(1)} MB of it private, ` +
        `${fast.peakRssWithCliMb.toFixed(1)} MB with its helper processes (logged CLI runs: ${cliReasons(fast).join(', ') || 'none'})`,
    );
    say(
      `fast path off: ${b.spawns} CLI processes (${[...baseline.cliSpawns.values()].join('; ')}) → ${b.perHour.toFixed(0)}/h; ` +
        `controller CPU with its CLI children ${b.cpuPct.toFixed(2)} % of a core; RSS ${baseline.peakRssMb.toFixed(1)} MB, ` +
        `${baseline.peakRssWithCliMb.toFixed(0)} MB with a CLI running`,
    );
    say(
      `gateway (process tree, apart): RSS ${fast.peakGatewayRssMb.toFixed(0)} MB, CPU ${gatewayCpuPct.toFixed(2)} % of a core`,
    );

    // --- freshness on the fast controller (another account: openclaw keeps 3 per account) -----
    const { code } = await createChannelRequest(home, {
      id: '3000002',
      accountId: 'fresh',
      meta: { username: 'fresh' },
    });
    const created = performance.now();
    await eventually(
      async () => {
        const list = (await fastController.get('/_kilo/pairing/channels')).body as {
          requests: Array<{ code: string }>;
        };
        return list.requests.some((r) => r.code === code);
      },
      { timeoutMs: 30_000, what: 'the new request on the fast controller' },
    );
    const freshness = (performance.now() - created) / 1000;
    say(`freshness: a new request listed ${freshness.toFixed(2)} s after openclaw stored it`);
    if (fastController.output().includes('disagrees with the CLI'))
      throw new Error('the fast path disagreed with the CLI during the bench');
    say(`bench took ${((Date.now() - benchStarted) / 1000).toFixed(1)} s`);

    say(
      JSON.stringify({
        cli_spawns_per_hour: round(f.perHour, 1),
        controller_cpu_pct: round(f.cpuPct, 3),
        controller_rss_mb: round(fast.peakRssMb, 1),
        controller_private_mb: round(fast.peakPrivateMb, 1),
        controller_tree_rss_mb: round(fast.peakRssWithCliMb, 1), // with the pairing worker; it ran no CLI
        gateway_rss_mb: round(fast.peakGatewayRssMb, 1),
        gateway_cpu_pct: round(gatewayCpuPct, 2),
        baseline_cli_spawns_per_hour: round(b.perHour, 1),
        baseline_cpu_pct: round(b.cpuPct, 3),
        baseline_rss_mb: round(baseline.peakRssMb, 1),
        cpu_ratio: f.cpuPct > 0 ? round(b.cpuPct / f.cpuPct, 1) : null,
        freshness_s: round(freshness, 2),
        window_s: round(seconds, 1),
        load_avg_1m: round(loadAfter, 2),
      }),
    );
  } finally {
    await Promise.all(controllers.map((c) => c.stop()));
    home.remove();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
