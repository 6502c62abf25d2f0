// In-memory view of one kind of pending pairing requests (channels or devices), kept fresh so
// the dashboard never waits for the openclaw CLI (seconds per call). Rules (docs/pairing.md §4):
// - warm-up at start is fire-and-forget; health never waits for it;
// - the read-only state-database path, when available, answers every refresh and is polled every
//   second (a query only when its data_version moved or a listed request may expire);
// - every CLI read also verifies that path; the cache's own CLI runs follow refresh-schedule.ts:
//   none while a verified fast path is idle, else periodic, adaptive 60–120 s, backoff 30 s → 300 s;
// - gateway log lines about pairing trigger one debounced (2 s) refresh;
// - single-flight: at most one CLI refresh per kind in flight, callers share it; a caller that
//   needs data newer than its own change (approve, log line) gets one shared follow-up run;
// - generation counter: a refresh that started earlier never overwrites a newer result;
// - a key (channel) that fails keeps its previous requests; if all fail nothing changes, not even
//   lastUpdated; no keys at all → empty list with a fresh lastUpdated;
// - after stop() nothing refreshes and approvals answer "shutting down".
import { errorMessage } from '../platform/error-message';
import type { Clock, TimerHandle } from './clock';
import type { Logger } from './log';
import { sameJson } from './pairing-projection';
import { CliSchedule, type ScheduleTiming } from './refresh-schedule';

export type PairingKind = 'channels' | 'devices';

/** Where one kind's requests come from. A "key" is a channel name, or "devices". */
export interface PairingSource<T> {
  readonly kind: PairingKind;
  keys(): string[];
  /** Opens the fast path if it can be (retrying a database that did not exist yet); true when usable. */
  prepareFast(): Promise<boolean>;
  fastReady(): boolean;
  /** A stamp that moves whenever the state database changes (SQLite data_version); null when unknown. */
  fastVersion(): number | null;
  /** Synchronous read of one key from the state database; throws when it cannot answer. */
  readFast(key: string, nowMs: number): T[];
  /** One CLI read of one key (seconds). */
  readCli(key: string, signal: AbortSignal): Promise<T[]>;
}

export interface CacheTiming extends ScheduleTiming {
  debounceMs: number;
  /** State-database poll interval; 0 disables polling. */
  pollMs: number;
}

/**
 * 60 min between two CLI verifications of a fast path already proven against the CLI: one
 * re-checks the lists the fast path changed since the last, and an hour is the life of a channel
 * request (60 min TTL), so a request the fast path got wrong is still pending when it is caught.
 * One CLI run (≈ 5 CPU-s) per hour per kind is < 0.3 % of a core; an idle hour runs none.
 */
export const SAFETY_VERIFY_INTERVAL_MS = 60 * 60_000;

const DEFAULT_CACHE_TIMING: CacheTiming = {
  refreshMinMs: 60_000,
  refreshMaxMs: 120_000,
  failureBaseMs: 30_000,
  failureMaxMs: 300_000,
  verifyIntervalMs: SAFETY_VERIFY_INTERVAL_MS,
  debounceMs: 2_000, // a burst of log lines (one per WebSocket frame) becomes one refresh
  pollMs: 1_000, // a new request shows within ~2 s
};

/** Lines of gateway output that suggest pairing state changed. */
const PAIRING_LOG_LINE = /pair|approv/i;

export type ApproveOutcome =
  | { ok: true; message: string; path?: string }
  | { ok: false; reason: 'invalid' | 'failed' | 'shutting-down' | 'busy'; message: string };

export interface PairingCacheOptions<T, A> {
  source: PairingSource<T>;
  /** Runs the approval (gateway or CLI); throws to fail it. `isInvalidInput` tells a 400 from a 500. */
  approve: (input: A) => Promise<string | { message: string; path: string }>;
  isInvalidInput?: (error: unknown) => boolean;
  /** The approval was refused because the machine is at its bound of work (503 "try again"). */
  isBusy?: (error: unknown) => boolean;
  /** After an approval whose follow-up refresh failed, which cached items to drop. */
  approvedItem?: (item: T, input: A) => boolean;
  clock: Clock;
  log: Logger;
  timing?: Partial<CacheTiming>;
  /** The first CLI read waits for this (the gateway being up); fast-path polls do not. */
  startGate?: Promise<unknown>;
}

export interface PairingSnapshot<T> {
  requests: T[];
  lastUpdated: string | null;
}

export interface RefreshOutcome {
  ok: boolean;
  /** The refresh produced a result that changed the cached list. */
  changed: boolean;
  /** It finished after a newer result was applied, so it was discarded. */
  discarded?: boolean;
  /** Why nothing could be read (every key failed), for the caller to pass on. */
  error?: string;
}

export interface RefreshOptions {
  reason: string;
  /** The caller needs data read after this call (not a refresh that was already running). */
  fresh?: boolean;
  /** Use the CLI even when the fast path is available (and compare the two). */
  verify?: boolean;
}

export interface CacheStats {
  runs: { fast: number; cli: number };
  /** Refresh runs by reason (polls included under "poll"). */
  byReason: Record<string, number>;
  discarded: number;
  pairingLines: number;
  /** Polls answered without a query: the database had not changed and nothing listed could expire. */
  unchangedPolls: number;
}

export class PairingCache<T, A> {
  private readonly timing: CacheTiming;
  private entries = new Map<string, T[]>();
  private lastUpdatedMs: number | null = null;
  private json: string | null = null;
  private jsonFor: number | null = null;
  private nextGeneration = 0;
  private appliedGeneration = 0;
  private cliRun: Promise<RefreshOutcome> | null = null;
  private followUp: Promise<RefreshOutcome> | null = null;
  private stopped = false;
  private started = false;
  private readonly abort = new AbortController();
  private readonly schedule: CliSchedule;
  private pollTimer: TimerHandle | undefined;
  private debounceTimer: TimerHandle | undefined;
  /** data_version and keys of the last fast read: an unchanged database needs no new query. */
  private fastVersionRead: number | null = null;
  private fastKeysRead = '';
  readonly stats: CacheStats = {
    runs: { fast: 0, cli: 0 },
    byReason: {},
    discarded: 0,
    pairingLines: 0,
    unchangedPolls: 0,
  };

  constructor(private readonly options: PairingCacheOptions<T, A>) {
    this.timing = { ...DEFAULT_CACHE_TIMING, ...options.timing };
    this.schedule = new CliSchedule({
      kind: options.source.kind,
      clock: options.clock,
      log: options.log,
      timing: this.timing,
      run: (reason) => this.refresh({ reason, verify: true }),
      pending: () => this.snapshot().requests.length,
    });
  }

  get kind(): PairingKind {
    return this.options.source.kind;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Starts warm-up, polling and the periodic refresh; returns at once. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.warmUp().catch((error: unknown) =>
      this.options.log.error({ kind: this.kind, error }, 'pairing warm-up crashed'),
    );
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const { clock } = this.options;
    this.schedule.stop();
    clock.clearTimeout(this.pollTimer);
    clock.clearTimeout(this.debounceTimer);
    this.pollTimer = this.debounceTimer = undefined;
    this.abort.abort();
  }

  snapshot(): PairingSnapshot<T> {
    return {
      requests: [...this.entries.values()].flat(),
      lastUpdated: this.lastUpdatedMs === null ? null : new Date(this.lastUpdatedMs).toISOString(),
    };
  }

  /** snapshot() as JSON, serialised once per change: the hot path of GET /_kilo/pairing/*. */
  snapshotJson(): string {
    if (this.json === null || this.jsonFor !== this.lastUpdatedMs) {
      this.json = JSON.stringify(this.snapshot());
      this.jsonFor = this.lastUpdatedMs;
    }
    return this.json;
  }

  /** Feed every gateway output line here; pairing lines schedule one refresh 2 s after the first. */
  notifyLogLine(line: string): void {
    if (this.stopped || !PAIRING_LOG_LINE.test(line)) return;
    this.stats.pairingLines += 1;
    if (this.debounceTimer) return;
    this.debounceTimer = this.options.clock.setTimeout(() => {
      this.debounceTimer = undefined;
      void this.refresh({ reason: 'log', fresh: true });
    }, this.timing.debounceMs);
  }

  /**
   * Refreshes from the fast path when it is usable (unless `verify`), else from the CLI (single-flight).
   * Never rejects (a failed read is an outcome), so the timers below start it and move on (`void`).
   */
  async refresh(options: RefreshOptions): Promise<RefreshOutcome> {
    if (this.stopped) return { ok: false, changed: false };
    if (!options.verify && this.options.source.fastReady()) {
      const outcome = this.runFast(options.reason);
      if (outcome) return outcome;
    }
    return this.refreshCli(options.reason, options.fresh ?? false);
  }

  async approve(input: A): Promise<ApproveOutcome> {
    if (this.stopped) return { ok: false, reason: 'shutting-down', message: 'The controller is shutting down' };
    let done: string | { message: string; path: string };
    try {
      done = await this.options.approve(input);
    } catch (error) {
      const invalid = this.options.isInvalidInput?.(error) ?? false;
      const busy = this.options.isBusy?.(error) ?? false;
      const text = errorMessage(error);
      this.options.log.warn({ kind: this.kind, reason: text }, 'approve failed');
      return { ok: false, reason: invalid ? 'invalid' : busy ? 'busy' : 'failed', message: text };
    }
    const { message, path } = typeof done === 'string' ? { message: done, path: undefined } : done;
    // The approval happened; a refresh that fails now must not turn it into a failure.
    const outcome = await this.refresh({ reason: 'approve', fresh: true }).catch(() => ({ ok: false, changed: false }));
    if (!outcome.ok && this.options.approvedItem) this.dropApproved(input);
    return { ok: true, message, ...(path ? { path } : {}) };
  }

  // ---- internals ----------------------------------------------------------------------------

  private async warmUp(): Promise<void> {
    const fast = await this.options.source.prepareFast();
    if (this.stopped) return;
    if (fast) this.runFast('warm-up');
    this.schedulePoll();
    await this.options.startGate;
    if (this.stopped) return;
    // With the fast path this CLI read doubles as its first verification.
    const outcome = await this.refresh({ reason: 'warm-up', verify: true });
    this.schedule.start(outcome);
  }

  private schedulePoll(): void {
    if (this.stopped || this.timing.pollMs <= 0) return;
    this.pollTimer = this.options.clock.setTimeout(() => {
      void this.poll().finally(() => this.schedulePoll());
    }, this.timing.pollMs);
  }

  private async poll(): Promise<void> {
    const { source } = this.options;
    if (this.stopped) return;
    const ready = await source.prepareFast();
    if (this.stopped) return;
    if (ready && this.unchangedSinceLastFastRead()) {
      this.stats.unchangedPolls += 1;
      this.lastUpdatedMs = this.options.clock.now(); // the list is confirmed current as of now
    } else if (ready) this.runFast('poll');
    if (!source.fastReady()) this.schedule.fastLost(); // e.g. read errors switched it off
  }

  /**
   * Requests appear, change and go only through a write, which moves data_version; but a listed
   * one can expire without any, so only an empty list of the same keys stays valid unread.
   */
  private unchangedSinceLastFastRead(): boolean {
    const { source } = this.options;
    if (this.fastVersionRead === null || source.fastVersion() !== this.fastVersionRead) return false;
    for (const requests of this.entries.values()) if (requests.length > 0) return false;
    return source.keys().join('\n') === this.fastKeysRead;
  }

  /** One synchronous state-database read of every key; null when the fast path could not answer. */
  private runFast(reason: string): RefreshOutcome | null {
    const { source, clock } = this.options;
    const generation = ++this.nextGeneration;
    const keys = source.keys();
    const now = clock.now();
    const version = source.fastVersion(); // before the query: a write in between shows at the next poll
    const results = new Map<string, T[]>();
    try {
      for (const key of keys) results.set(key, source.readFast(key, now));
    } catch (error) {
      this.options.log.warn({ kind: this.kind, error }, 'fast pairing read failed; using the CLI');
      return null;
    }
    this.count('fast', reason);
    const outcome = this.apply(generation, keys, results, reason);
    if (!outcome.discarded) {
      this.fastVersionRead = version;
      this.fastKeysRead = keys.join('\n');
    }
    if (outcome.changed) this.schedule.fastChanged();
    return outcome;
  }

  private refreshCli(reason: string, fresh: boolean): Promise<RefreshOutcome> {
    if (!this.cliRun) return this.startCli(reason);
    if (!fresh) return this.cliRun;
    // The running refresh may have read before the caller's change: one shared follow-up run.
    this.followUp ??= this.cliRun.then(() => {
      this.followUp = null;
      return this.refreshCli(reason, false);
    });
    return this.followUp;
  }

  private startCli(reason: string): Promise<RefreshOutcome> {
    if (this.stopped) return Promise.resolve({ ok: false, changed: false });
    const generation = ++this.nextGeneration;
    const run = this.runCli(reason, generation).finally(() => {
      if (this.cliRun === run) this.cliRun = null;
    });
    this.cliRun = run;
    return run;
  }

  private async runCli(reason: string, generation: number): Promise<RefreshOutcome> {
    const { source, log, clock } = this.options;
    this.count('cli', reason);
    const keys = source.keys();
    const started = clock.now();
    const mark = this.schedule.cliStarting(source.fastReady());
    // each read answers with its key, so a failure is reported against the key that failed
    const settled = await Promise.all(
      keys.map((key) =>
        source.readCli(key, this.abort.signal).then(
          (value) => ({ key, ok: true as const, value }),
          (error: unknown) => ({ key, ok: false as const, error }),
        ),
      ),
    );
    if (this.stopped) return { ok: false, changed: false };
    const ok = settled.filter((r) => r.ok).length;
    log.info(
      { kind: this.kind, reason, path: 'cli', ms: clock.now() - started, keys: keys.length, ok },
      'pairing refresh done',
    );
    const results = new Map<string, T[]>();
    const failed: Array<{ key: string; error: string }> = [];
    for (const r of settled) {
      if (r.ok) results.set(r.key, r.value);
      else failed.push({ key: r.key, error: errorMessage(r.error) });
    }
    if (failed.length > 0) log.warn({ kind: this.kind, reason, failed }, 'pairing refresh failed for some keys');
    const proven = failed.length === 0 && source.fastReady(); // each key compared with the database
    if (keys.length > 0 && results.size === 0) {
      const failedOutcome = { ok: false, changed: false, error: failed.map((f) => `${f.key}: ${f.error}`).join('; ') };
      this.schedule.cliFinished(mark, proven, failedOutcome);
      return failedOutcome;
    }
    const outcome = this.apply(generation, keys, results, reason);
    if (!outcome.discarded) this.fastVersionRead = null; // the list came from the CLI: query the database again
    this.schedule.cliFinished(mark, proven, outcome);
    if (outcome.discarded && !source.fastReady()) {
      // A newer fast-path result won, but this very read just switched the fast path off
      // (it disagreed with the CLI): replace that result with a fresh CLI read right away.
      void this.refresh({ reason: 'fast-path-off', fresh: true });
    }
    return outcome;
  }

  private apply(generation: number, keys: string[], results: Map<string, T[]>, reason: string): RefreshOutcome {
    if (generation <= this.appliedGeneration) {
      this.stats.discarded += 1;
      return { ok: true, changed: false, discarded: true };
    }
    this.appliedGeneration = generation;
    const next = new Map<string, T[]>();
    for (const key of keys) {
      const fresh = results.get(key);
      if (fresh) next.set(key, fresh);
      else {
        const previous = this.entries.get(key);
        if (previous) next.set(key, previous);
      }
    }
    const changed = !sameJson([...next.entries()], [...this.entries.entries()]);
    this.entries = next;
    this.lastUpdatedMs = this.options.clock.now();
    this.json = null;
    if (changed) {
      this.options.log.info(
        {
          kind: this.kind,
          reason,
          count: this.snapshot().requests.length,
        },
        'pairing requests changed',
      );
    }
    return { ok: true, changed };
  }

  private dropApproved(input: A): void {
    const match = this.options.approvedItem;
    if (!match) return;
    const generation = ++this.nextGeneration;
    const keys = [...this.entries.keys()];
    const results = new Map(
      keys.map((key) => [key, (this.entries.get(key) ?? []).filter((item) => !match(item, input))]),
    );
    const lastUpdated = this.lastUpdatedMs;
    this.apply(generation, keys, results, 'approved');
    this.lastUpdatedMs = lastUpdated; // nothing was read: the list is not fresher than before
    this.json = null;
  }

  private count(path: 'fast' | 'cli', reason: string): void {
    this.stats.runs[path] += 1;
    this.stats.byReason[reason] = (this.stats.byReason[reason] ?? 0) + 1;
    if (path === 'cli' || reason !== 'poll')
      this.options.log.info({ kind: this.kind, reason, path }, 'pairing refresh');
  }
}
