// Owns the read-only state-database connection shared by both pairing kinds: opens it lazily
// (openclaw creates the file on first use), and switches it off for good when the schema differs,
// when a read disagrees with the CLI, or after repeated read errors. Off means: the CLI answers.
import type { Clock } from './clock';
import type { Logger } from './log';
import { openStateDb, type SqliteLoader, type StateDbReader } from './state-db';

const REOPEN_INTERVAL_MS = 5_000; // retry a database that does not exist yet at most this often
const MAX_CONSECUTIVE_READ_ERRORS = 3;

export interface FastPathStatus {
  state: 'off' | 'waiting' | 'on';
  reason?: string;
}

/** What a pairing source needs of the fast path (StateDbFastPath implements it; tests fake it). */
export interface FastPathHandle {
  prepare(): Promise<StateDbReader | null>;
  current(): StateDbReader | null;
  readSucceeded(): void;
  readFailed(kind: string, error: unknown): void;
  mismatch(kind: string, detail: Record<string, unknown>): void;
}

export class StateDbFastPath implements FastPathHandle {
  private reader: StateDbReader | null = null;
  private disabledReason: string | null = null;
  private lastAttemptMs = -Infinity;
  private opening: Promise<void> | null = null;
  private waitingReason = 'not opened yet';
  private readErrors = 0;

  constructor(
    private readonly options: {
      stateDir: string;
      enabled: boolean;
      clock: Clock;
      log: Logger;
      loadSqlite?: SqliteLoader;
    },
  ) {
    if (!options.enabled) this.disabledReason = 'disabled by configuration';
  }

  status(): FastPathStatus {
    if (this.disabledReason) return { state: 'off', reason: this.disabledReason };
    if (this.reader) return { state: 'on' };
    return { state: 'waiting', reason: this.waitingReason };
  }

  current(): StateDbReader | null {
    return this.disabledReason ? null : this.reader;
  }

  /** Opens the database if it is not open and may be; resolves to the reader or null. */
  async prepare(): Promise<StateDbReader | null> {
    if (this.disabledReason) return null;
    if (this.reader) return this.reader;
    const now = this.options.clock.now();
    if (!this.opening && now - this.lastAttemptMs >= REOPEN_INTERVAL_MS) {
      this.lastAttemptMs = now;
      this.opening = this.open().finally(() => {
        this.opening = null;
      });
    }
    if (this.opening !== null) await this.opening;
    return this.current();
  }

  /** A read answered: reset the error streak. */
  readSucceeded(): void {
    this.readErrors = 0;
  }

  /** A read threw; after a few in a row the fast path is switched off. */
  readFailed(kind: string, error: unknown): void {
    this.readErrors += 1;
    this.options.log.warn({ kind, error, consecutive: this.readErrors }, 'state database read failed');
    if (this.readErrors >= MAX_CONSECUTIVE_READ_ERRORS) this.disable(`${this.readErrors} read errors in a row`);
  }

  /** The fast path and the CLI disagreed: the CLI is authoritative, stop using the database. */
  mismatch(kind: string, detail: Record<string, unknown>): void {
    this.options.log.warn({ kind, ...detail }, 'state database disagrees with the CLI; using the CLI from now on');
    this.disable(`disagreed with the CLI on ${kind}`);
  }

  close(): void {
    this.reader?.close();
    this.reader = null;
  }

  private disable(reason: string): void {
    if (this.disabledReason) return;
    this.disabledReason = reason;
    this.close();
  }

  private async open(): Promise<void> {
    const result = await openStateDb(this.options.stateDir, this.options.loadSqlite);
    if (this.disabledReason) {
      if (result.ok) result.reader.close();
      return;
    }
    if (result.ok) {
      this.reader = result.reader;
      this.options.log.info('state database fast path on');
      return;
    }
    if (result.retryable) {
      if (this.waitingReason !== result.reason)
        this.options.log.info({ reason: result.reason }, 'state database fast path waiting');
      this.waitingReason = result.reason;
    } else {
      this.options.log.warn({ reason: result.reason }, 'state database fast path off');
      this.disable(result.reason);
    }
  }
}
