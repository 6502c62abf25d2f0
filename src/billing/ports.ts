// What billing needs from the instance side, as a port: billing never imports instances/ internals.
// The composition root (src/server/app-deps.ts) passes the real implementation from instances/.

export interface InstanceActions {
  /** Stop the user's instance (suspension). Idempotent; a user with no instance is a no-op. */
  stop(userId: string): Promise<void>;
  /** Destroy the user's instance and its volume (after the grace period). Idempotent. */
  destroy(userId: string): Promise<void>;
  /** Start the user's instance again after a reactivation, if it exists and is stopped. */
  resume(userId: string): Promise<void>;
}

export type RecordedInstanceAction = { action: 'stop' | 'destroy' | 'resume'; userId: string };

/** Records calls and does nothing else: the default until an instance module is composed in, and a test double. */
export function recordingInstanceActions(): InstanceActions & { calls: RecordedInstanceAction[] } {
  const calls: RecordedInstanceAction[] = [];
  return {
    calls,
    stop: async (userId) => void calls.push({ action: 'stop', userId }),
    destroy: async (userId) => void calls.push({ action: 'destroy', userId }),
    resume: async (userId) => void calls.push({ action: 'resume', userId }),
  };
}
