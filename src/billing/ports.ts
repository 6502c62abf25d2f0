// What billing needs from the instance side, as a port: billing never imports instances/ internals.
// The composition root (src/server/app-deps.ts) passes the real implementation from instances/.
import type { DbOrTx } from '@/db/client';

export interface InstanceActions {
  /** Stop the user's instance (suspension). Idempotent; a user with no instance is a no-op. */
  stop(userId: string): Promise<void>;
  /**
   * Marks the instances of these users `destroying`, inside the caller's transaction: billing's
   * destruction claim and the instance side's commitment to destroy commit together, so a run that
   * dies after the commit leaves a destroy the reconciler finishes — never a claim whose machine
   * runs on. From then on nothing starts the instance again. Users without an instance are skipped.
   */
  markForDestruction(userIds: readonly string[], tx: DbOrTx): Promise<void>;
  /**
   * One attempt at destroying the user's instance (machine, then volume) once it is marked. True when
   * it is gone or there was none; false when it is still there (the provider failed: the reconciler
   * retries). Never destroys an instance that was not marked.
   */
  destroy(userId: string): Promise<boolean>;
  /** Of these users, those whose instance still exists (e.g. a destroy not finished yet). */
  withInstance(userIds: readonly string[]): Promise<Set<string>>;
  /** Start the user's instance again after a reactivation, if it exists and is stopped. */
  resume(userId: string): Promise<void>;
}

export type RecordedInstanceAction = { action: 'stop' | 'destroy' | 'resume'; userId: string };

/**
 * Records calls and does nothing else: the default until an instance module is composed in, and a
 * test double. It has no instances: nothing to mark, and every destroy has nothing left to do.
 */
export function recordingInstanceActions(): InstanceActions & { calls: RecordedInstanceAction[] } {
  const calls: RecordedInstanceAction[] = [];
  return {
    calls,
    stop: async (userId) => void calls.push({ action: 'stop', userId }),
    markForDestruction: async () => {},
    destroy: async (userId) => {
      calls.push({ action: 'destroy', userId });
      return true;
    },
    withInstance: async () => new Set(),
    resume: async (userId) => void calls.push({ action: 'resume', userId }),
  };
}
