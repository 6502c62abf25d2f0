// Test helpers for the real openclaw (pinned in tools/openclaw, run on the pinned Node 24):
// an isolated state dir + HOME, a real gateway, real pending channel/device requests, the CLI,
// and the controller bundle as a child process. Everything here has a timeout and cleans up.
//
//   const runtime = ensureOpenclaw();                 // installs on first use (~1 min), then instant
//   const home = createOpenclawHome();                // temp state dir + HOME, openclaw.json: gateway.mode=local
//   const ctl = await startController(home, { token }); // controller + its supervised gateway
//   await createChannelRequest(home, { channel: 'telegram', id: '42' });
//   const { requestId } = await createDeviceRequest(home);
//   await ctl.stop(); home.remove();

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@/platform/free-port';
import { openclawCliPath, openclawNodeBin, openclawToolsDir, repoRoot } from '@/platform/openclaw-paths';

const ROOT = repoRoot(import.meta.dirname);
const FIXTURES = join(ROOT, 'test', 'controller', 'fixtures');

const CLI_TIMEOUT_MS = 90_000;

export interface OpenclawRuntime {
  nodeBin: string;
  cliPath: string;
  toolsDir: string;
}

/** Runs scripts/ensure-openclaw.mjs (idempotent) and returns where Node 24 and openclaw are. */
/**
 * process.env without the test runner's markers: openclaw silences its own output when it sees
 * VITEST=true, which would leave the CLI's stdout empty in every child we start.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^VITEST/.test(key) || key === 'TEST' || key === 'NODE_ENV') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

let runtime: OpenclawRuntime | null = null;
export function ensureOpenclaw(): OpenclawRuntime {
  if (!runtime) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'ensure-openclaw.mjs')], {
      stdio: 'pipe',
      timeout: 15 * 60_000,
    });
    runtime = { nodeBin: openclawNodeBin(), cliPath: openclawCliPath(), toolsDir: openclawToolsDir() };
  }
  return runtime;
}

export interface OpenclawHome {
  /** Temp root holding both directories below. */
  dir: string;
  stateDir: string;
  home: string;
  /** HOME and OPENCLAW_STATE_DIR for a child process. */
  env: Record<string, string>;
  remove(): void;
}

/** A fresh, isolated openclaw state dir and HOME; openclaw.json defaults to a local gateway. */
export function createOpenclawHome(config: unknown = { gateway: { mode: 'local' } }): OpenclawHome {
  const dir = mkdtempSync(join(tmpdir(), 'kilo-openclaw-'));
  const stateDir = join(dir, 'state');
  const home = join(dir, 'home');
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(stateDir, 'openclaw.json'), `${JSON.stringify(config, null, 2)}\n`);
  return {
    dir,
    stateDir,
    home,
    env: { HOME: home, OPENCLAW_STATE_DIR: stateDir },
    remove: () => {
      // A gateway or CLI child orphaned by a SIGKILLed controller keeps writing here (the WAL,
      // its logs), and rmSync then fails with ENOTEMPTY: end every process started in this home
      // first, then retry the removal while the last writes settle.
      killProcessesWithEnv('OPENCLAW_STATE_DIR', stateDir);
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** SIGKILLs every process whose environment holds `name=value` (Linux /proc; a no-op elsewhere). */
function killProcessesWithEnv(name: string, value: string): number {
  const needle = `\0${name}=${value}\0`;
  let killed = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid);
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      if (!`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(needle)) continue;
      process.kill(Number(pid), 'SIGKILL');
      killed += 1;
    } catch {
      // gone, or not ours to read
    }
  }
  return killed;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion with a timeout (SIGKILL to its process group when it expires). */
export function run(
  file: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = CLI_TIMEOUT_MS,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`${args.slice(0, 3).join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `openclaw <args>` in that home; `gatewayPort` points device commands at a running gateway. */
export function runOpenclaw(
  home: OpenclawHome,
  args: string[],
  options: { gatewayPort?: number; timeoutMs?: number } = {},
): Promise<RunResult> {
  const runtime = ensureOpenclaw();
  return run(
    runtime.nodeBin,
    [runtime.cliPath, ...args],
    childEnv({
      ...home.env,
      NO_COLOR: '1',
      ...(options.gatewayPort ? { OPENCLAW_GATEWAY_PORT: String(options.gatewayPort) } : {}),
    }),
    options.timeoutMs,
  );
}

/** Creates a real pending channel request (openclaw's upsertChannelPairingRequest); returns its code. */
export async function createChannelRequest(
  home: OpenclawHome,
  request: { channel?: string; id: string; accountId?: string; meta?: Record<string, string> },
): Promise<{ code: string; created: boolean }> {
  const runtime = ensureOpenclaw();
  const params = {
    channel: request.channel ?? 'telegram',
    id: request.id,
    accountId: request.accountId,
    meta: request.meta ?? { username: `user${request.id}` },
  };
  const result = await run(
    runtime.nodeBin,
    [join(FIXTURES, 'create-channel-request.mjs'), runtime.toolsDir, JSON.stringify(params)],
    childEnv(home.env),
  );
  if (result.code !== 0) throw new Error(`createChannelRequest failed: ${result.stderr.trim().slice(-500)}`);
  const parsed = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { code: string; created: boolean };
  if (!parsed.code)
    throw new Error('createChannelRequest: openclaw created no request (3 are already pending for that account?)');
  return parsed;
}

/** Creates a real pending device request (a row in device_pairing_pending, as openclaw writes it). */
export async function createDeviceRequest(
  home: OpenclawHome,
  device: { displayName?: string; platform?: string } = {},
): Promise<{ requestId: string; deviceId: string }> {
  const runtime = ensureOpenclaw();
  const result = await run(
    runtime.nodeBin,
    [join(FIXTURES, 'create-device-request.mjs'), home.stateDir, JSON.stringify(device)],
    childEnv(home.env),
    30_000,
  );
  if (result.code !== 0) throw new Error(`createDeviceRequest failed: ${result.stderr.trim().slice(-500)}`);
  return JSON.parse(result.stdout.trim()) as { requestId: string; deviceId: string };
}

interface ManagedProcess {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL to the process group after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

function manage(child: ChildProcess): ManagedProcess {
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    output: () => output,
    // The controller's own shutdown takes up to ~15 s (gateway grace 10 s, then its CLI children).
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      killGroup(child, 'SIGKILL'); // helpers it may have left behind
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // gone
  }
}

export interface RunningController extends ManagedProcess {
  base: string;
  port: number;
  token: string;
  gatewayPort: number;
  gatewayToken: string;
  /** GET a controller route with the bearer token; returns status and parsed JSON. */
  get(path: string): Promise<{ status: number; body: unknown }>;
  post(path: string, body: unknown): Promise<{ status: number; body: unknown }>;
}

let bundlePromise: Promise<string> | null = null;

/** Builds the controller bundle once per test process (into a temp dir, not dist/). */
function controllerBundle(): Promise<string> {
  bundlePromise ??= (async () => {
    const { buildController } = (await import(join(ROOT, 'scripts', 'build-controller.mjs'))) as {
      buildController(o: { outfile: string }): Promise<string>;
    };
    return buildController({ outfile: join(mkdtempSync(join(tmpdir(), 'kilo-controller-')), 'controller.mjs') });
  })();
  return bundlePromise;
}

/**
 * Runs the controller bundle on Node 24 in that home, on 127.0.0.1, and waits for its health
 * route. With `gateway: 'spawn'` (default) it supervises a real gateway on `gatewayPort`;
 * with 'off' it uses whatever gateway already listens there.
 */
export async function startController(
  home: OpenclawHome,
  options: {
    token: string;
    gateway?: 'spawn' | 'off';
    gatewayPort?: number;
    gatewayToken?: string;
    extraChannels?: string[];
    fastPath?: boolean;
    env?: Record<string, string>;
  },
): Promise<RunningController> {
  const runtime = ensureOpenclaw();
  const bundle = await controllerBundle();
  const port = await freePort();
  const gatewayPort = options.gatewayPort ?? (await freePort());
  const gatewayToken = options.gatewayToken ?? `gw-${Math.random().toString(36).slice(2)}${Date.now()}`;
  const child = spawn(runtime.nodeBin, [bundle], {
    env: childEnv({
      ...home.env,
      CONTROLLER_HOST: '127.0.0.1',
      CONTROLLER_PORT: String(port),
      CONTROLLER_TOKEN: options.token,
      OPENCLAW_GATEWAY_PORT: String(gatewayPort),
      OPENCLAW_GATEWAY_TOKEN: gatewayToken,
      OPENCLAW_NODE_BIN: runtime.nodeBin,
      OPENCLAW_CLI: runtime.cliPath,
      CONTROLLER_GATEWAY: options.gateway === 'off' ? 'off' : 'on',
      CONTROLLER_EXTRA_CHANNELS: (options.extraChannels ?? []).join(','),
      CONTROLLER_FAST_PATH: options.fastPath === false ? 'off' : 'on',
      ...options.env,
    }) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const managed = manage(child);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/_kilo/health`, 30_000, () => child.exitCode !== null);
  } catch (error) {
    await managed.stop(5_000);
    throw new Error(`controller did not start: ${(error as Error).message}\n${managed.output().slice(-2000)}`);
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(CLI_TIMEOUT_MS * 2),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  return {
    ...managed,
    base,
    port,
    token: options.token,
    gatewayPort,
    gatewayToken,
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
  };
}

async function waitForHttp(url: string, timeoutMs: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error('process exited before it was ready');
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    await res?.body?.cancel();
    if (res?.ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
