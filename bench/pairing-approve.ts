// The approval part of bench/pairing.ts, against a real openclaw gateway with a configured
// Telegram account (fake token: the approval notice fails offline, as it is attempted):
// - approve through the controller's pairing worker (gateway protocol), channel and device, timed
//   from the HTTP call until the request is gone from the controller's list;
// - the same through a controller whose approvals use the CLI (the baseline, same run);
// - a burst of 50 approvals at once on the CLI path: answers by status, peak CLI processes and the
//   peak memory of the controller's whole process tree (sampled from /proc every 50 ms).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HealthResponse } from '@/contracts/controller';
import { eventually } from '../test/harness/eventually';
import {
  childEnv,
  createDeviceRequest,
  createOpenclawHome,
  ensureOpenclaw,
  type OpenclawHome,
  type RunningController,
  run,
  startController,
} from '../test/harness/openclaw';
import { sized } from './lib';

const CONFIG = {
  gateway: { mode: 'local' },
  channels: { telegram: { enabled: true, botToken: '123456:FAKE-token-for-bench', dmPolicy: 'pairing' } },
};
const CHANNEL_ROUNDS = sized(7, 1); // × 3 requests (openclaw keeps at most 3 pending per account)
const DEVICE_APPROVALS = sized(10, 1);
const CLI_APPROVALS = sized(3, 1); // each costs a CLI process (5–8 s idle)
const BURST = sized(50, 3);

export interface ApproveFigures {
  channelMs: number[];
  deviceMs: number[];
  cliMs: number[];
  cliFailures: string[];
  paths: Record<string, number>;
  burst: { byStatus: Record<string, number>; peakRssMb: number; baseRssMb: number; peakCli: number; seconds: number };
  /** Steady RSS of the pairing worker beside the gateway-path controller. */
  workerRssMb: number;
}

export interface ApproveBench {
  home: OpenclawHome;
  viaGateway: RunningController;
  viaCli: RunningController;
  stop(): Promise<void>;
}

/** Starts both controllers (the gateway takes ~10–30 s to be ready); resolves when approvals go through it. */
export async function startApproveBench(token: string): Promise<ApproveBench> {
  const home = createOpenclawHome(CONFIG);
  const viaGateway = await startController(home, { token });
  await eventually(
    async () => {
      const health = HealthResponse.parse(await (await fetch(`${viaGateway.base}/_kilo/health`)).json());
      return health.approvals === 'gateway' ? true : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 250 },
  );
  const viaCli = await startController(home, {
    token,
    gateway: 'off',
    gatewayPort: viaGateway.gatewayPort,
    gatewayToken: viaGateway.gatewayToken,
    env: { CONTROLLER_PAIRING_WORKER: 'off' },
  });
  return {
    home,
    viaGateway,
    viaCli,
    stop: async () => {
      await Promise.all([viaGateway.stop(), viaCli.stop()]);
      home.remove();
    },
  };
}

let nextSender = 800_000;
async function createChannelRequests(home: OpenclawHome, count: number): Promise<string[]> {
  const runtime = ensureOpenclaw();
  const params = Array.from({ length: count }, () => ({ channel: 'telegram', id: String(nextSender++) }));
  const fixture = join(import.meta.dirname, 'fixtures', 'create-channel-requests.mjs');
  const result = await run(runtime.nodeBin, [fixture, runtime.toolsDir, JSON.stringify(params)], childEnv(home.env));
  if (result.code !== 0) throw new Error(`creating requests failed: ${result.stderr.slice(-300)}`);
  const answers = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '[]') as Array<{ code: string }>;
  if (answers.some((a) => !a.code)) throw new Error('openclaw created fewer requests than asked');
  return answers.map((a) => a.code);
}

const listed = async (c: RunningController, kind: 'channels' | 'devices', key: 'code' | 'requestId') =>
  ((await c.get(`/_kilo/pairing/${kind}`)).body as { requests: Array<Record<string, string>> }).requests.map(
    (r) => r[key],
  );

/** POST the approval, then read the list until the request is gone: milliseconds for both. */
async function timedApprove(
  c: RunningController,
  kind: 'channels' | 'devices',
  body: Record<string, string>,
  paths: Record<string, number>,
): Promise<number> {
  const key = kind === 'channels' ? 'code' : 'requestId';
  const id = body[key];
  const started = performance.now();
  const res = await c.post(`/_kilo/pairing/${kind}/approve`, body);
  const answer = res.body as { success?: boolean; path?: string; message?: string };
  if (res.status !== 200 || !answer.success) throw new Error(`approve failed: ${res.status} ${answer.message}`);
  paths[answer.path ?? 'unknown'] = (paths[answer.path ?? 'unknown'] ?? 0) + 1;
  while ((await listed(c, kind, key)).includes(id ?? '')) {
    if (performance.now() - started > 60_000) throw new Error(`${id} still listed after 60 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - started;
}

async function untilListed(c: RunningController, kind: 'channels' | 'devices', ids: string[]) {
  const key = kind === 'channels' ? 'code' : 'requestId';
  await eventually(
    async () => {
      const now = await listed(c, kind, key);
      return ids.every((id) => now.includes(id)) ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
}

/** RSS (MB) of a process and all its descendants, the CLI invocations it started, and the pairing worker's RSS, from /proc. */
function treeUsage(rootPid: number): { rssMb: number; cli: number; workerMb: number } {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  const isCli = new Map<number, boolean>();
  const isWorker = new Map<number, boolean>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), (Number(fields[21]) * 4096) / 1e6);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      isCli.set(Number(entry), cmd.includes('openclaw.mjs\0pairing') || cmd.includes('openclaw.mjs\0devices'));
      isWorker.set(Number(entry), cmd.includes('--pairing-worker'));
    } catch {
      // exited meanwhile
    }
  }
  let total = 0;
  let cli = 0;
  let workerMb = 0;
  for (const pid of parent.keys()) {
    for (let p: number | undefined = pid; p && p > 1; p = parent.get(p)) {
      if (p !== rootPid) continue;
      total += rss.get(pid) ?? 0;
      if (isCli.get(pid) && parent.get(pid) === rootPid) cli += 1; // one per invocation (openclaw re-execs itself)
      if (isWorker.get(pid)) workerMb += rss.get(pid) ?? 0;
      break;
    }
  }
  return { rssMb: total, cli, workerMb };
}

const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');

export async function measureApprovals(bench: ApproveBench, say?: (line: string) => void): Promise<ApproveFigures> {
  const { home, viaGateway, viaCli } = bench;
  const paths: Record<string, number> = {};
  const channelMs: number[] = [];
  for (let round = 0; round < CHANNEL_ROUNDS; round++) {
    const codes = await createChannelRequests(home, 3);
    await untilListed(viaGateway, 'channels', codes);
    for (const code of codes)
      channelMs.push(await timedApprove(viaGateway, 'channels', { channel: 'telegram', code }, paths));
  }
  const deviceMs: number[] = [];
  for (let i = 0; i < DEVICE_APPROVALS; i++) {
    const { requestId } = await createDeviceRequest(home, { displayName: `bench device ${i}` });
    await untilListed(viaGateway, 'devices', [requestId]);
    deviceMs.push(await timedApprove(viaGateway, 'devices', { requestId }, paths));
  }
  say?.(`  gateway path: channel ${fmt(channelMs)} ms; device ${fmt(deviceMs)} ms`);
  const cliMs: number[] = [];
  const cliFailures: string[] = [];
  const codes = await createChannelRequests(home, CLI_APPROVALS);
  await untilListed(viaCli, 'channels', codes);
  for (const code of codes) {
    // The baseline may fail on a machine this busy (a CLI run past its 45 s limit): count it, go on.
    await timedApprove(viaCli, 'channels', { channel: 'telegram', code }, paths).then(
      (ms) => cliMs.push(ms),
      (error: unknown) => cliFailures.push(error instanceof Error ? error.message : String(error)),
    );
  }
  say?.(`  CLI path: ${fmt(cliMs)} ms${cliFailures.length ? `; failed: ${cliFailures.join(' | ')}` : ''}`);

  // Burst: 50 approvals of codes nobody holds, all at once, on the CLI path (the one that costs processes).
  const pid = viaCli.child.pid ?? 0;
  const base = treeUsage(pid);
  let peak = base;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const now = treeUsage(pid);
      peak = { rssMb: Math.max(peak.rssMb, now.rssMb), cli: Math.max(peak.cli, now.cli), workerMb: 0 };
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const burstStarted = performance.now();
  const answers = await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      viaCli.post('/_kilo/pairing/channels/approve', {
        channel: 'telegram',
        code: `NOSUCH${String(i).padStart(2, '0')}`,
      }),
    ),
  );
  const seconds = (performance.now() - burstStarted) / 1000;
  sampling = false;
  await sampler;
  const byStatus: Record<string, number> = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  return {
    channelMs,
    deviceMs,
    cliMs,
    cliFailures,
    paths,
    burst: { byStatus, peakRssMb: peak.rssMb, baseRssMb: base.rssMb, peakCli: peak.cli, seconds },
    workerRssMb: treeUsage(viaGateway.child.pid ?? 0).workerMb,
  };
}
