// Runs the whole system as a user would (`scripts/start.ts`, what `npm start` runs after the openclaw
// check) in a child process, on a free port with its own DATA_DIR.
import { type ChildProcess, type ChildProcessByStdio, spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { freePort } from '@/platform/free-port';

export type RunningSystem = {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, then wait for the exit code */
  stop: () => Promise<number | null>;
};

const ROOT = path.resolve(__dirname, '../..');

export function startSystemProcess(opts: { dataDir: string; port: number; env?: Record<string, string> }): {
  child: ChildProcessByStdio<null, Readable, Readable>;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/start.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NEXT_TELEMETRY_DISABLED: '1',
      LOG_LEVEL: 'warn',
      PORT: String(opts.port),
      DATA_DIR: opts.dataDir,
      ...opts.env,
    } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code: number | null) => r(code)));
  return { child, output: () => out, exited };
}

export async function startSystem(opts: {
  dataDir: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}): Promise<RunningSystem> {
  const port = await freePort();
  const p = startSystemProcess({ dataDir: opts.dataDir, port, env: opts.env });
  const url = `http://localhost:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 240_000);
  let exitCode: number | null | undefined;
  void p.exited.then((c) => (exitCode = c));
  while (!p.output().includes('is running at')) {
    if (exitCode !== undefined) throw new Error(`npm start exited (${exitCode}) before it was ready:\n${p.output()}`);
    if (Date.now() > deadline) {
      p.child.kill('SIGKILL');
      throw new Error(`npm start was not ready in time:\n${p.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child: p.child,
    output: p.output,
    stop: async () => {
      if (p.child.exitCode === null) p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
      const code = await p.exited;
      clearTimeout(timer);
      return code;
    },
  };
}
