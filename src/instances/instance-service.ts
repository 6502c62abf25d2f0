// The instance module's front door: lifecycle and pairing for one user's own instance, plus the
// InstanceActions port billing uses (stop on suspension, destroy after grace, resume on payment).
import type { InstanceActions } from '@/billing/ports';
import { isSuspended } from '@/billing/suspension-queries';
import { InstanceError } from './errors';
import { findByUser, markUsersDestroying, usersWithInstance } from './instance-store';
import { type InstanceDeps, type InstanceView, viewOf } from './lifecycle/deps';
import { attemptDestroy, destroyInstance } from './lifecycle/destroy';
import { reconcileInstances } from './lifecycle/reconcile';
import { startInstance } from './lifecycle/start';
import { stopInstance } from './lifecycle/stop';

export type InstanceService = ReturnType<typeof createInstanceService>;

export function createInstanceService(deps: InstanceDeps) {
  return {
    status: async (userId: string): Promise<InstanceView> => viewOf(await findByUser(deps.db, userId)),
    start: (userId: string) => startInstance(deps, userId),
    stop: (userId: string) => stopInstance(deps, userId),
    destroy: (userId: string) => destroyInstance(deps, userId),
    reconcile: () => reconcileInstances(deps),

    /** Billing's port. Each action is idempotent and a user without an instance is a no-op. */
    actions(): InstanceActions {
      const quietly = (action: string, userId: string) => (err: unknown) => {
        // the status change is recorded before any machine call; the reconciler retries the rest
        if (err instanceof InstanceError)
          deps.logger.info({ userId, action, code: err.code }, 'instance action not applied');
        else throw err;
      };
      return {
        // Billing stops only while the user is still suspended: the cron acts after its suspension
        // commits, and a payment may have reactivated the user (and resumed the instance) in between —
        // acting then would take the assistant away from a paying customer.
        stop: async (userId) => {
          if (!(await isSuspended(deps.db, userId)))
            return deps.logger.info({ userId }, 'stop skipped: no longer suspended');
          if (await findByUser(deps.db, userId))
            await stopInstance(deps, userId, 'suspension').catch(quietly('stop', userId));
        },
        // The claim that marks an instance for destruction holds billing's row lock and repeats its
        // conditions (still suspended, deadline passed), so a payment committed first is never undone.
        markForDestruction: (userIds, tx) => markUsersDestroying(tx, userIds, deps.clock.now()),
        destroy: async (userId) => {
          const row = await findByUser(deps.db, userId);
          if (!row) return true;
          if (row.status !== 'destroying') {
            deps.logger.warn({ userId, status: row.status }, 'destroy skipped: the instance was not marked for it');
            return false;
          }
          return attemptDestroy(deps, row.id); // a failure stays on the row; the reconciler retries
        },
        withInstance: (userIds) => usersWithInstance(deps.db, userIds),
        resume: async (userId) => {
          const row = await findByUser(deps.db, userId);
          // only what billing stopped: an instance the user stopped themselves stays stopped
          if (row?.status !== 'stopped' || row.stopReason !== 'suspension') return;
          // A webhook must answer fast: claim and launch, and leave waiting for readiness to the reconciler.
          await startInstance({ ...deps, startWaitMs: 0 }, userId).catch(quietly('resume', userId));
        },
      };
    },
  };
}
