// When a pairing cache runs the openclaw CLI on its own (not asked by a caller), as one pure rule.
// A CLI run costs a whole process (≈ 0.4 GB, seconds of CPU), so with the state-database fast path
// on and proven against the CLI an idle instance runs none: a verification is owed only for lists
// the fast path produced that the CLI has not confirmed yet, and then at most once per interval.
// Without a verified fast path the CLI is the source, refreshed every 60–120 s with backoff.

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
  /** Outcome of the last scheduled CLI run. */
  lastOk: boolean;
  lastChanged: boolean;
  pending: number;
  consecutiveFailures: number;
}

export type ScheduledRefresh = { reason: 'periodic' | 'verify'; delayMs: number } | null;

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
