// The instance status rules in one place: which statuses each action may leave from, and the
// timings that decide when a transition is forced. Every conditional UPDATE uses these lists.
import type { InstanceStatus } from '@/db/schema';

/** `→ starting` is the start lock: only an idle instance may be claimed. */
export const STARTABLE: readonly InstanceStatus[] = ['provisioned', 'stopped'];
/** `→ stopped`: a stop also cancels a start in progress (its finishing write then finds nothing). */
export const STOPPABLE: readonly InstanceStatus[] = ['running', 'starting'];
/** `→ destroying` is allowed from everything; a destroy always wins over a start. */
export const DESTROYABLE: readonly InstanceStatus[] = ['provisioned', 'starting', 'running', 'stopped'];

export const STARTING_TIMEOUT_MS = 5 * 60_000; // a machine that has not started in 5 min is not coming

export type StartRefusal = 'already_running' | 'already_starting' | 'destroying';

/** Why a start could not claim an instance in `status` (null: it can). */
export function startRefusal(status: InstanceStatus): StartRefusal | null {
  if (STARTABLE.includes(status)) return null;
  if (status === 'running') return 'already_running';
  if (status === 'starting') return 'already_starting';
  return 'destroying';
}

/** Starts claimed before this instant have timed out at `now` (the SQL of expireStaleStarts uses it too). */
export const startCutoff = (now: Date): Date => new Date(now.getTime() - STARTING_TIMEOUT_MS);

/** True when a `starting` instance claimed at `startingAt` has waited longer than the timeout at `now`. */
export function startTimedOut(startingAt: Date | null, now: Date): boolean {
  return startingAt === null || startingAt < startCutoff(now);
}

/** The lastError of a start the reconciler gave up on. */
export const START_TIMED_OUT = `did not start within ${STARTING_TIMEOUT_MS / 60_000} minutes`;
