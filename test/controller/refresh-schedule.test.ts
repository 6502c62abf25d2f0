// The rule for the CLI runs a pairing cache starts on its own: none while a verified fast path is
// idle, an owed verification at most once per interval, the 60–120 s CLI cadence otherwise.
import { describe, expect, it } from 'vitest';
import { nextScheduledRefresh, type ScheduleState } from '@/controller/refresh-schedule';

const HOUR = 60 * 60_000;
const timing = {
  refreshMinMs: 60_000,
  refreshMaxMs: 120_000,
  failureBaseMs: 30_000,
  failureMaxMs: 300_000,
  verifyIntervalMs: HOUR,
};
const NOW = 10 * HOUR;
const state = (over: Partial<ScheduleState>): ScheduleState => ({
  nowMs: NOW,
  fastVerified: false,
  unverifiedChange: false,
  lastVerifiedMs: -Infinity,
  lastOk: true,
  lastChanged: false,
  pending: 0,
  consecutiveFailures: 0,
  ...over,
});

describe('with a verified fast path', () => {
  it('schedules nothing while the fast path has changed nothing since the last verification', () => {
    expect(nextScheduledRefresh(state({ fastVerified: true, lastVerifiedMs: NOW - 5 * HOUR }), timing)).toBeNull();
    expect(nextScheduledRefresh(state({ fastVerified: true, pending: 3, lastChanged: true }), timing)).toBeNull();
  });

  it('verifies a change no sooner than the interval after the last verification', () => {
    expect(
      nextScheduledRefresh(
        state({ fastVerified: true, unverifiedChange: true, lastVerifiedMs: NOW - 10 * 60_000 }),
        timing,
      ),
    ).toEqual({ reason: 'verify', delayMs: 50 * 60_000 });
  });

  it('verifies a change at once when the last verification is older than the interval', () => {
    expect(
      nextScheduledRefresh(
        state({ fastVerified: true, unverifiedChange: true, lastVerifiedMs: NOW - 2 * HOUR }),
        timing,
      ),
    ).toEqual({ reason: 'verify', delayMs: 0 });
  });
});

describe('without a verified fast path (the CLI is the source)', () => {
  it('comes back after 60 s while requests are pending or the list changed, after 120 s otherwise', () => {
    expect(nextScheduledRefresh(state({ pending: 1 }), timing)).toEqual({ reason: 'periodic', delayMs: 60_000 });
    expect(nextScheduledRefresh(state({ lastChanged: true }), timing)).toEqual({ reason: 'periodic', delayMs: 60_000 });
    expect(nextScheduledRefresh(state({}), timing)).toEqual({ reason: 'periodic', delayMs: 120_000 });
  });

  it('backs off 30 s doubling to 300 s after failures', () => {
    const delays = [1, 2, 3, 4, 5, 6].map(
      (failures) => nextScheduledRefresh(state({ lastOk: false, consecutiveFailures: failures }), timing)?.delayMs,
    );
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
  });

  it('ignores changes the fast path saw: every refresh is a CLI run anyway', () => {
    expect(nextScheduledRefresh(state({ unverifiedChange: true }), timing)).toEqual({
      reason: 'periodic',
      delayMs: 120_000,
    });
  });
});
