// When a pairing cache runs the openclaw CLI on its own (not asked by a caller). A CLI run costs a
// whole process (≈ 0.4 GB, seconds of CPU), so once a CLI read has proven the state-database fast
// path, an idle instance runs none: a verification is owed only for lists the fast path changed
// since the last one, at most once per interval; a failed or disagreeing check, or the fast path
// going away, puts the cache back on the CLI's own cadence (60–120 s, failure backoff 30 s → 300 s).
import type { Clock, TimerHandle } from './clock';
import type { Logger } from './log';

export interface ScheduleTiming {
  /** Next CLI refresh after one that found requests or a change. */
  refreshMinMs: number;
  /** Next CLI refresh after one that found nothing new. */
  refreshMaxMs: number;
  failureBaseMs: number;
  failureMaxMs: number;
  /** Least time between two CLI verifications of a verified fast path. */
  verifyIntervalMs: number;
}

export interface ScheduleState {
  nowMs: number;
  /** The last CLI run read every key, while the fast path was on, and the fast path is still on. */
  fastVerified: boolean;
  /** The fast path changed the list since the last verification. */
  unverifiedChange: boolean;
  /** When the last verification finished (-Infinity: never). */
  lastVerifiedMs: number;
  /** Outcome of the last CLI run. */
  lastOk: boolean;
  lastChanged: boolean;
  pending: number;
  consecutiveFailures: number;
}

type ScheduledRefresh = { reason: 'periodic' | 'verify'; delayMs: number } | null;

/** The next CLI run to schedule, or null: nothing to do until the fast path sees a change. */
export function nextScheduledRefresh(state: ScheduleState, timing: ScheduleTiming): ScheduledRefresh {
  if (state.fastVerified) {
    if (!state.unverifiedChange) return null;
    return { reason: 'verify', delayMs: Math.max(0, state.lastVerifiedMs + timing.verifyIntervalMs - state.nowMs) };
  }
  if (!state.lastOk) {
    const exponent = Math.max(0, state.consecutiveFailures - 1);
    return { reason: 'periodic', delayMs: Math.min(timing.failureBaseMs * 2 ** exponent, timing.failureMaxMs) };
  }
  const busy = state.lastChanged || state.pending > 0;
  return { reason: 'periodic', delayMs: busy ? timing.refreshMinMs : timing.refreshMaxMs };
}

interface CliOutcome {
  ok: boolean;
  changed: boolean;
}

/** Taken when a CLI read starts: what it can vouch for when it ends. */
interface CliMark {
  fastOn: boolean;
  changes: number;
}

/** The timer and bookkeeping behind nextScheduledRefresh, one per cache. */
export class CliSchedule {
  private started = false;
  private stopped = false;
  private running = false;
  private timer: TimerHandle | undefined;
  private verified = false;
  /** Fast reads that changed the list, and how many of them the last verification covered. */
  private changes = 0;
  private verifiedChanges = 0;
  private lastVerifiedMs = -Infinity;
  private consecutiveFailures = 0;

  constructor(
    private readonly deps: {
      kind: string;
      clock: Clock;
      log: Logger;
      timing: ScheduleTiming;
      /** One CLI refresh (which also verifies the fast path when it is on). */
      run: (reason: string) => Promise<CliOutcome>;
      pending: () => number;
    },
  ) {}

  /** Warm-up has read: from now on the cache's own CLI runs follow the rule. */
  start(warmUp: CliOutcome): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.plan(warmUp);
  }

  stop(): void {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A fast read changed the list: a verified fast path owes the CLI one check of it. */
  fastChanged(): void {
    this.changes += 1;
    if (this.verified && this.started && !this.running && !this.timer) this.plan({ ok: true, changed: true });
  }

  cliStarting(fastOn: boolean): CliMark {
    return { fastOn, changes: this.changes };
  }

  /** `proven`: every key was read and the fast path is still on (the source compared each one). */
  cliFinished(mark: CliMark, proven: boolean, outcome: CliOutcome): void {
    this.consecutiveFailures = outcome.ok ? 0 : this.consecutiveFailures + 1;
    const wasVerified = this.verified;
    this.verified = mark.fastOn && proven;
    if (this.verified) {
      this.verifiedChanges = mark.changes;
      this.lastVerifiedMs = this.deps.clock.now();
    }
    // A check outside the schedule (a fallback read) failed or disagreed: back on the CLI's timer.
    if (wasVerified && !this.verified && this.started && !this.running) this.plan(outcome);
  }

  /** The fast path switched itself off between checks (read errors): the CLI takes over at once. */
  fastLost(): void {
    if (!this.verified) return;
    this.verified = false;
    this.deps.log.warn({ kind: this.deps.kind }, 'state database fast path lost; refreshing from the CLI again');
    if (!this.started || this.running || this.stopped) return;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.runNow('fast-path-off');
  }

  private plan(last: CliOutcome): void {
    if (this.stopped) return;
    const { clock } = this.deps;
    clock.clearTimeout(this.timer);
    this.timer = undefined;
    const next = nextScheduledRefresh(
      {
        nowMs: clock.now(),
        fastVerified: this.verified,
        unverifiedChange: this.changes > this.verifiedChanges,
        lastVerifiedMs: this.lastVerifiedMs,
        lastOk: last.ok,
        lastChanged: last.changed,
        pending: this.deps.pending(),
        consecutiveFailures: this.consecutiveFailures,
      },
      this.deps.timing,
    );
    if (!next) return;
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.runNow(next.reason);
    }, next.delayMs);
  }

  private runNow(reason: string): void {
    this.running = true;
    void this.deps
      .run(reason)
      .catch((): CliOutcome => ({ ok: false, changed: false }))
      .then((outcome) => {
        this.running = false;
        this.plan(outcome);
      });
  }
}
