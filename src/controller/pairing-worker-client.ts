// The controller's side of the pairing worker (pairing-worker.ts). The worker costs ~170 MB RSS while
// it runs, so it runs only while someone uses pairing: `demand()` (a list request — the dashboard's
// Pairing page long-polls them — or an approval) starts it once the gateway is up, and it is stopped
// after WORKER_IDLE_STOP_MS without demand. While demand lasts it is restarted when it dies (1 s
// doubling to 60 s). IPC messages become promises with a timeout; while the worker is not connected
// to the gateway, `call` fails at once and the caller uses the CLI.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Clock, TimerHandle } from './clock';
import type { Env } from './exec';
import type { Logger } from './log';
import type { WorkerReply, WorkerRequest } from './pairing-worker-protocol';

const RESTART_INITIAL_MS = 1_000;
const RESTART_MAX_MS = 60_000;
const STOP_GRACE_MS = 3_000;
/**
 * 10 min without a list request or an approval stops the worker. The Pairing page long-polls at
 * least every 25 s (LIST_WAIT_MAX_S), so this is long after the last person closed it, and short
 * against a day of idling at ~170 MB; the next visit pays one cold start (~3 s under load, in the background).
 */
export const WORKER_IDLE_STOP_MS = 10 * 60_000;

export type WorkerState = 'off' | 'starting' | 'connected' | 'disconnected';

/** The fast path cannot take this call (not connected, died, timed out): use the CLI. */
export class WorkerUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerUnavailable';
  }
}

/** The gateway answered the call with an error (e.g. INVALID_REQUEST). */
export class WorkerCallFailed extends Error {
  constructor(
    message: string,
    readonly gatewayCode: string | undefined,
  ) {
    super(message);
    this.name = 'WorkerCallFailed';
  }
}

export interface PairingWorkerOptions {
  /** [program, ...args] that runs the worker (the controller bundle with --pairing-worker). */
  command: readonly string[];
  env: Env;
  clock: Clock;
  log: Logger;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: TimerHandle };
type CallOp = (WorkerRequest & { type: 'call' })['op'];
type CallParams<O extends CallOp> = Extract<WorkerRequest, { op: O }>['params'];

export class PairingWorkerClient {
  private child: ChildProcess | null = null;
  private state: WorkerState = 'off';
  /** The controller is shutting down: nothing starts again. */
  private closed = false;
  /** The gateway is up: demand may start the worker. */
  private allowed = false;
  /** Armed while there is demand; when it fires the worker is stopped. */
  private idleTimer: TimerHandle | undefined;
  private spawnedAtMs = 0;
  private readonly connectedWaiters = new Set<(connected: boolean) => void>();
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private restartMs = RESTART_INITIAL_MS;
  private restartTimer: TimerHandle | undefined;

  constructor(private readonly options: PairingWorkerOptions) {}

  get status(): WorkerState {
    return this.state;
  }

  /** Whether a worker process is alive (starting, connected or disconnected). */
  get running(): boolean {
    return this.child !== null;
  }

  /** The gateway is up: from now on demand starts the worker (at once if demand came before). */
  allowStart(): void {
    this.allowed = true;
    if (this.idleTimer) this.spawn();
  }

  /** Someone uses pairing: start the worker if it is not running, and keep it for the idle period. */
  demand(): void {
    if (this.closed) return;
    this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.options.clock.setTimeout(() => this.onIdle(), WORKER_IDLE_STOP_MS);
    if (this.allowed && !this.restartTimer) this.spawn();
  }

  /** Resolves true once connected, false after `timeoutMs` or when the worker goes away first. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.state === 'connected') return Promise.resolve(true);
    if (!this.child) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (connected: boolean) => {
        this.options.clock.clearTimeout(timer);
        this.connectedWaiters.delete(done);
        resolve(connected);
      };
      const timer = this.options.clock.setTimeout(() => done(false), timeoutMs);
      this.connectedWaiters.add(done);
    });
  }

  private onIdle(): void {
    this.idleTimer = undefined;
    if (this.pending.size > 0) {
      // a call is still in progress (a slow notify): stop after it, one idle period from now
      this.idleTimer = this.options.clock.setTimeout(() => this.onIdle(), WORKER_IDLE_STOP_MS);
      return;
    }
    this.options.clock.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.detach('the pairing worker stopped after an idle period');
    if (!child) return;
    this.options.log.info({ idleMin: WORKER_IDLE_STOP_MS / 60_000 }, 'pairing worker stopped: nobody used pairing');
    void this.terminate(child);
  }

  private spawn(): void {
    if (this.closed || this.child) return;
    const [file = '', ...args] = this.options.command;
    const child = spawn(file, args, {
      env: this.options.env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    this.state = 'starting';
    this.spawnedAtMs = this.options.clock.now();
    child.on('message', (message: WorkerReply) => this.onMessage(message));
    child.on('error', (error) => {
      this.options.log.warn({ error }, 'pairing worker could not start');
      // never started (no pid): no 'exit' follows, so do not leave approvals waiting on it
      if (child.pid === undefined && this.child === child) this.detach('the pairing worker could not start');
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return; // stopped on purpose (idle, shutdown)
      this.detach('the pairing worker exited');
      if (this.closed || !this.idleTimer) return; // nobody needs it now: the next demand starts it
      this.options.log.warn({ code, signal, inMs: this.restartMs }, 'pairing worker exited; restarting');
      this.restartTimer = this.options.clock.setTimeout(() => {
        this.restartTimer = undefined;
        this.spawn();
      }, this.restartMs);
      this.restartMs = Math.min(this.restartMs * 2, RESTART_MAX_MS);
    });
  }

  /** Ends the worker for good (the controller's shutdown). */
  async stop(): Promise<void> {
    this.closed = true;
    this.options.clock.clearTimeout(this.restartTimer);
    this.options.clock.clearTimeout(this.idleTimer);
    this.restartTimer = undefined;
    this.idleTimer = undefined;
    const child = this.detach('the controller is shutting down');
    if (child) await this.terminate(child);
  }

  /** Forgets the current process (its exit then restarts nothing) and fails what waits on it. */
  private detach(reason: string): ChildProcess | null {
    const child = this.child;
    this.child = null;
    this.state = 'off';
    this.failAll(reason);
    for (const waiter of [...this.connectedWaiters]) waiter(false);
    return child;
  }

  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves once it has exited. */
  private async terminate(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = this.options.clock.setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    this.options.clock.clearTimeout(timer);
  }

  /** One gateway call through the worker; throws WorkerUnavailable or WorkerCallFailed. */
  call<O extends CallOp>(op: O, params: CallParams<O>, timeoutMs: number): Promise<unknown> {
    const child = this.child;
    if (!child || this.state !== 'connected') {
      return Promise.reject(new WorkerUnavailable(`the pairing worker is ${this.state}`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new WorkerUnavailable(`the gateway did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      child.send({ type: 'call', id, op, params } as WorkerRequest);
    });
  }

  private onMessage(message: WorkerReply): void {
    switch (message.type) {
      case 'connected':
        if (this.state !== 'connected')
          this.options.log.info(
            { msSinceStart: this.options.clock.now() - this.spawnedAtMs },
            'pairing worker connected to the gateway',
          );
        this.state = 'connected';
        this.restartMs = RESTART_INITIAL_MS;
        for (const waiter of [...this.connectedWaiters]) waiter(true);
        return;
      case 'disconnected':
        if (this.state === 'connected')
          this.options.log.warn({ reason: message.reason }, 'pairing worker lost the gateway');
        this.state = 'disconnected';
        return;
      case 'fatal':
        this.options.log.warn({ reason: message.message }, 'pairing worker cannot run; approvals use the CLI');
        return;
      case 'result': {
        const waiter = this.pending.get(message.id);
        if (!waiter) return;
        this.pending.delete(message.id);
        this.options.clock.clearTimeout(waiter.timer);
        if (message.ok) waiter.resolve(message.result);
        else waiter.reject(new WorkerCallFailed(message.error, message.gatewayCode));
        return;
      }
      default:
        return;
    }
  }

  private failAll(reason: string): void {
    for (const [id, waiter] of this.pending) {
      this.options.clock.clearTimeout(waiter.timer);
      waiter.reject(new WorkerUnavailable(reason));
      this.pending.delete(id);
    }
  }
}
