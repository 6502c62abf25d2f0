// Keeps one `openclaw gateway` process alive: restarts a crash after a backoff (1 s doubling to
// 300 s, back to 1 s once a run lasted 30 s), respawns a clean exit at once, and stops it
// gracefully (SIGTERM, 10 s, then SIGKILL to its whole process group). Output passes through
// unchanged; stdout lines also go to `onStdoutLine` (the pairing caches listen there).
import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { GatewayExit, GatewayState, GatewayStatus } from '../contracts/controller';
import { type Clock, systemClock, type TimerHandle } from './clock';
import type { Env } from './exec';
import { LineBuffer } from './line-buffer';
import type { Logger } from './log';

export interface SupervisorTiming {
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A run at least this long counts as healthy: the next crash waits the initial backoff again. */
  healthyResetMs: number;
  stopGraceMs: number;
  /** A "clean" exit sooner than this is treated as a crash, so an exit-0 loop cannot spin. */
  minCleanRunMs: number;
  /** How often to ask `isReady` while starting. */
  readyPollMs: number;
}

const DEFAULT_SUPERVISOR_TIMING: SupervisorTiming = {
  backoffInitialMs: 1_000,
  backoffMaxMs: 300_000,
  healthyResetMs: 30_000,
  stopGraceMs: 10_000,
  minCleanRunMs: 1_000,
  readyPollMs: 1_000,
};

export interface SupervisorOptions {
  command: string;
  args: readonly string[];
  env?: Env;
  cwd?: string;
  log: Logger;
  clock?: Clock;
  timing?: Partial<SupervisorTiming>;
  onStdoutLine?: (line: string) => void;
  /** Where the child's output is copied (the controller's own stdout/stderr by default; null drops it). */
  stdout?: Writable | null;
  stderr?: Writable | null;
  /** Readiness probe (e.g. the gateway's /readyz); without one a spawned process counts as running. */
  isReady?: () => Promise<boolean>;
}

export class GatewaySupervisor {
  private readonly timing: SupervisorTiming;
  private readonly clock: Clock;
  private child: ChildProcess | null = null;
  private state: GatewayState = 'stopped';
  private startedAtMs = 0;
  private restarts = 0;
  private lastExit: GatewayExit | null = null;
  private nextBackoffMs: number;
  private restartTimer: TimerHandle | undefined;
  private readyTimer: TimerHandle | undefined;
  private stopRequested = false;
  private exitWaiters: Array<() => void> = [];
  private readyWaiters: Array<() => void> = [];
  readonly lines: LineBuffer;

  constructor(private readonly options: SupervisorOptions) {
    this.timing = { ...DEFAULT_SUPERVISOR_TIMING, ...options.timing };
    this.clock = options.clock ?? systemClock;
    this.nextBackoffMs = this.timing.backoffInitialMs;
    this.lines = new LineBuffer((line) => this.options.onStdoutLine?.(line));
  }

  start(): void {
    if (this.child || this.state === 'backoff') return;
    this.stopRequested = false;
    this.spawnChild();
  }

  status(): GatewayStatus {
    const running =
      this.child !== null && (this.state === 'running' || this.state === 'starting' || this.state === 'stopping');
    return {
      state: this.state,
      pid: running ? (this.child?.pid ?? null) : null,
      uptime: running ? Math.max(0, Math.floor((this.clock.now() - this.startedAtMs) / 1000)) : 0,
      restarts: this.restarts,
      lastExit: this.lastExit,
    };
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.clock.clearTimeout(this.restartTimer);
    this.clock.clearTimeout(this.readyTimer);
    this.restartTimer = this.readyTimer = undefined;
    const child = this.child;
    if (!child) {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.signal(child, 'SIGTERM', false);
    const killTimer = this.clock.setTimeout(() => {
      this.options.log.warn({ graceMs: this.timing.stopGraceMs }, 'gateway did not stop in time; killing it');
      this.signal(child, 'SIGKILL', true);
    }, this.timing.stopGraceMs);
    await exited;
    this.clock.clearTimeout(killTimer);
  }

  /** Stops the gateway and starts a new one (it reads its environment files only at start). */
  async restart(): Promise<void> {
    await this.stop();
    this.start();
  }

  /**
   * Resolves true once the gateway is running (ready), false after `timeoutMs` or on stop.
   * The controller holds back its first CLI calls until then: on a fresh state dir the gateway
   * migrates the database at start and fails (exit 78) if a CLI process holds openclaw's lock.
   */
  whenRunning(timeoutMs: number): Promise<boolean> {
    if (this.state === 'running') return Promise.resolve(true);
    if (this.stopRequested) return Promise.resolve(false);
    return new Promise((resolve) => {
      let done = false;
      const finish = (value: boolean) => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        resolve(value);
      };
      const timer = this.clock.setTimeout(() => finish(false), timeoutMs);
      this.readyWaiters.push(() => finish(this.state === 'running'));
    });
  }

  /** Last resort on controller exit: kill the gateway's process group synchronously. */
  killNow(): void {
    if (this.child) this.signal(this.child, 'SIGKILL', true);
  }

  private spawnChild(): void {
    const { command, args, env, cwd, log } = this.options;
    this.state = this.options.isReady ? 'starting' : 'running';
    this.startedAtMs = this.clock.now();
    let child: ChildProcess;
    try {
      // Own process group: a SIGKILL reaches the helpers the gateway spawns too.
      child = spawn(command, [...args], {
        env: env as NodeJS.ProcessEnv | undefined,
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        shell: false,
      });
    } catch (error) {
      this.onExit(null, null, error);
      return;
    }
    this.child = child;
    log.info({ pid: child.pid, restarts: this.restarts }, 'gateway started');
    if (this.state === 'running') this.notifyReadyWaiters();

    const out = this.options.stdout === undefined ? process.stdout : this.options.stdout;
    const err = this.options.stderr === undefined ? process.stderr : this.options.stderr;
    child.stdout?.on('data', (chunk: Buffer) => {
      passThrough(out, chunk);
      this.lines.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => passThrough(err, chunk));

    let exited = false;
    const done = (code: number | null, signal: NodeJS.Signals | null, error?: unknown) => {
      if (exited) return;
      exited = true;
      this.lines.end();
      this.onExit(code, signal, error);
    };
    child.on('error', (error) => {
      // Spawn failures (ENOENT) emit only 'error'; a running child's errors are followed by 'exit'.
      if (child.pid === undefined) done(null, null, error);
    });
    child.on('exit', (code, signal) => done(code, signal));
    if (this.options.isReady) this.scheduleReadyCheck(child, this.options.isReady);
  }

  private scheduleReadyCheck(child: ChildProcess, isReady: () => Promise<boolean>): void {
    this.readyTimer = this.clock.setTimeout(() => {
      void (async () => {
        if (this.child !== child || this.state !== 'starting') return;
        const ready = await isReady().catch(() => false);
        if (this.child !== child || this.state !== 'starting') return;
        if (ready) {
          this.state = 'running';
          this.options.log.info({ pid: child.pid, startupMs: this.clock.now() - this.startedAtMs }, 'gateway ready');
          this.notifyReadyWaiters();
        } else this.scheduleReadyCheck(child, isReady);
      })();
    }, this.timing.readyPollMs);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, error?: unknown): void {
    const ranMs = this.clock.now() - this.startedAtMs;
    this.child = null;
    this.clock.clearTimeout(this.readyTimer);
    this.lastExit = { code, signal, at: new Date(this.clock.now()).toISOString() };
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const resolve of waiters) resolve();

    if (this.stopRequested) {
      this.state = 'stopped';
      this.options.log.info({ code, signal }, 'gateway stopped');
      this.notifyReadyWaiters();
      return;
    }
    if (ranMs >= this.timing.healthyResetMs) this.nextBackoffMs = this.timing.backoffInitialMs;
    const clean = code === 0 && signal === null && !error && ranMs >= this.timing.minCleanRunMs;
    const delay = clean ? 0 : this.nextBackoffMs;
    if (!clean) this.nextBackoffMs = Math.min(this.nextBackoffMs * 2, this.timing.backoffMaxMs);
    this.options.log.warn(
      {
        code,
        signal,
        error: error instanceof Error ? error.message : undefined,
        ranMs,
        restartInMs: delay,
      },
      clean ? 'gateway exited cleanly; respawning' : 'gateway exited; restarting after backoff',
    );
    this.state = 'backoff';
    const respawn = () => {
      this.restartTimer = undefined;
      if (this.stopRequested) return;
      this.restarts += 1;
      this.spawnChild();
    };
    if (delay === 0) respawn();
    else this.restartTimer = this.clock.setTimeout(respawn, delay);
  }

  private notifyReadyWaiters(): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const notify of waiters) notify();
  }

  private signal(child: ChildProcess, signal: NodeJS.Signals, group: boolean): void {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function passThrough(target: Writable | null, chunk: Buffer): void {
  if (!target) return;
  try {
    target.write(chunk);
  } catch {
    // a closed stdout must not take the supervisor down
  }
}
