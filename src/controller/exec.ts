// Runs a program with an argument array (never a shell), a hard timeout and bounded output.
// The child gets its own process group so a timeout or an abort kills whatever it spawned too.
import { spawn } from 'node:child_process';

/** An environment for a child process (plain record: callers need not list every variable). */
export type Env = Record<string, string | undefined>;

export interface ExecRequest {
  file: string;
  args: readonly string[];
  env?: Env;
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
  durationMs: number;
}

export type ExecFn = (request: ExecRequest) => Promise<ExecResult>;

const MAX_OUTPUT_BYTES = 4 * 1024 * 1024; // a pairing list is a few kB; anything past 4 MB is not output we use

export const spawnExec: ExecFn = (request) =>
  new Promise((resolve) => {
    const started = Date.now();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let aborted = false;
    let settled = false;

    const child = spawn(request.file, [...request.args], {
      env: request.env as NodeJS.ProcessEnv | undefined,
      cwd: request.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      detached: true,
    });

    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, request.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    if (request.signal?.aborted) onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (result: Omit<ExecResult, 'durationMs' | 'timedOut' | 'aborted'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      resolve({ ...result, timedOut, aborted, durationMs: Date.now() - started });
    };

    child.stdout.on('data', (chunk: Buffer) => {
      if (outBytes < MAX_OUTPUT_BYTES) out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes < MAX_OUTPUT_BYTES) err.push(chunk);
      errBytes += chunk.length;
    });
    child.on('error', (error) => {
      finish({ code: null, signal: null, stdout: '', stderr: '', spawnError: error.message });
    });
    child.on('close', (code, signal) => {
      finish({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
