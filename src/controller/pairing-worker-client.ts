// The controller's side of the pairing worker (pairing-worker.ts): starts it once the gateway is up,
// restarts it when it dies (1 s doubling to 60 s), and turns IPC messages into promises with a
// timeout. While it is not connected to the gateway, `call` fails at once and the caller uses the CLI.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Clock, TimerHandle } from './clock';
import type { Env } from './exec';
import type { Logger } from './log';
import type { WorkerReply, WorkerRequest } from './pairing-worker-protocol';

const RESTART_INITIAL_MS = 1_000;
const RESTART_MAX_MS = 60_000;
const STOP_GRACE_MS = 3_000;

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
  private stopped = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private restartMs = RESTART_INITIAL_MS;
  private restartTimer: TimerHandle | undefined;

  constructor(private readonly options: PairingWorkerOptions) {}

  get status(): WorkerState {
    return this.state;
  }

  start(): void {
    if (this.stopped || this.child) return;
    const [file = '', ...args] = this.options.command;
    const child = spawn(file, args, {
      env: this.options.env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    this.state = 'starting';
    child.on('message', (message: WorkerReply) => this.onMessage(message));
    child.on('error', (error) => this.options.log.warn({ error }, 'pairing worker could not start'));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.state = 'off';
      this.failAll('the pairing worker exited');
      if (this.stopped) return;
      this.options.log.warn({ code, signal, inMs: this.restartMs }, 'pairing worker exited; restarting');
      this.restartTimer = this.options.clock.setTimeout(() => this.start(), this.restartMs);
      this.restartMs = Math.min(this.restartMs * 2, RESTART_MAX_MS);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.clock.clearTimeout(this.restartTimer);
    const child = this.child;
    this.failAll('the controller is shutting down');
    if (!child) return;
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
        if (this.state !== 'connected') this.options.log.info('pairing worker connected to the gateway');
        this.state = 'connected';
        this.restartMs = RESTART_INITIAL_MS;
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
