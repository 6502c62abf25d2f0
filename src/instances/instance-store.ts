// Reads and conditional writes of kiloclaw_instances. Every UPDATE that depends on state names that
// state in its WHERE clause; the `starting_at` of a claimed start is its fencing token, so a start
// that lost its claim (stopped, timed out, destroyed) can no longer write.
import { randomUUID } from 'node:crypto';
import { and, eq, gt, inArray, isNull, like, lt, or, sql } from 'drizzle-orm';
import { payingAgainUsers, suspendedUsers } from '@/billing/suspension-queries';
import type { DbOrTx } from '@/db/client';
import { type InstanceStatus, kiloclawInstances } from '@/db/schema';
import { DESTROYABLE, START_TIMED_OUT, STARTABLE, STOPPABLE, startCutoff } from './transitions';

export type InstanceRow = typeof kiloclawInstances.$inferSelect;
type Patch = Partial<Pick<InstanceRow, 'machineId' | 'volumeId' | 'controllerUrl' | 'lastError'>>;

const I = kiloclawInstances;

export async function findByUser(db: DbOrTx, userId: string): Promise<InstanceRow | null> {
  const [row] = await db.select().from(I).where(eq(I.userId, userId)).limit(1);
  return row ?? null;
}

export async function findById(db: DbOrTx, id: string): Promise<InstanceRow | null> {
  const [row] = await db.select().from(I).where(eq(I.id, id)).limit(1);
  return row ?? null;
}

/** The user's instance, creating it (`provisioned`) on first use. Concurrent callers get the same row. */
export async function provision(db: DbOrTx, userId: string, provider: string, now: Date): Promise<InstanceRow> {
  const id = randomUUID();
  await db
    .insert(I)
    .values({
      id,
      userId,
      provider,
      machineName: `kiloclaw-${id}`,
      status: 'provisioned',
      statusChangedAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing({ target: I.userId });
  const row = await findByUser(db, userId);
  if (!row) throw new Error(`instance of user ${userId} vanished right after it was provisioned`);
  return row;
}

/** The start lock: `→ starting` only from an idle status. Null when another actor holds the instance. */
export async function claimStart(db: DbOrTx, id: string, now: Date): Promise<InstanceRow | null> {
  const [row] = await db
    .update(I)
    .set({
      status: 'starting',
      startingAt: now,
      statusChangedAt: now,
      updatedAt: now,
      lastError: null,
      stopReason: null,
    })
    .where(and(eq(I.id, id), inArray(I.status, [...STARTABLE])))
    .returning();
  return row ?? null;
}

const holdsStart = (id: string, fence: Date) => and(eq(I.id, id), eq(I.status, 'starting'), eq(I.startingAt, fence));

/**
 * Records a machine or volume a start created. Also written when a destroy has begun meanwhile, so
 * the destroy finds what it must delete. Returns the instance's status after the write (null: lost).
 */
export async function recordResources(
  db: DbOrTx,
  id: string,
  fence: Date,
  patch: Patch,
  now: Date,
): Promise<InstanceStatus | null> {
  const [row] = await db
    .update(I)
    .set({ ...patch, updatedAt: now })
    .where(or(holdsStart(id, fence), and(eq(I.id, id), eq(I.status, 'destroying'))))
    .returning({ status: I.status });
  return row?.status ?? null;
}

/** `starting → running`, only for the start that holds the claim. */
export async function markRunning(
  db: DbOrTx,
  id: string,
  fence: Date,
  controllerUrl: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(I)
    .set({ status: 'running', controllerUrl, startingAt: null, statusChangedAt: now, updatedAt: now, lastError: null })
    .where(holdsStart(id, fence))
    .returning({ id: I.id });
  return rows.length > 0;
}

/** A failed start gives the instance back (`→ stopped`) with the reason, if it still holds the claim. */
export async function releaseFailedStart(
  db: DbOrTx,
  id: string,
  fence: Date,
  reason: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(I)
    .set({ status: 'stopped', startingAt: null, statusChangedAt: now, updatedAt: now, lastError: reason })
    .where(holdsStart(id, fence))
    .returning({ id: I.id });
  return rows.length > 0;
}

/** `running|starting → stopped`. Returns the row when this call made the change. */
export type StopReason = 'user' | 'suspension';

export async function markStopped(db: DbOrTx, id: string, now: Date, reason?: StopReason): Promise<InstanceRow | null> {
  const [row] = await db
    .update(I)
    .set({
      status: 'stopped',
      startingAt: null,
      statusChangedAt: now,
      updatedAt: now,
      // only running/starting rows match: an instance the user had already stopped keeps its reason
      ...(reason ? { stopReason: reason } : {}),
    })
    .where(and(eq(I.id, id), inArray(I.status, [...STOPPABLE])))
    .returning();
  return row ?? null;
}

/** `→ destroying` from any other status; a second request keeps the first request time. */
export async function markDestroying(db: DbOrTx, id: string, now: Date): Promise<void> {
  await db
    .update(I)
    .set({ status: 'destroying', startingAt: null, statusChangedAt: now, updatedAt: now, destroyRequestedAt: now })
    .where(and(eq(I.id, id), inArray(I.status, [...DESTROYABLE])));
}

/**
 * `→ destroying` for the instances of these users, set-based (billing's destruction claim runs it
 * in its own transaction, one chunk of users at a time); like markDestroying otherwise.
 */
export async function markUsersDestroying(db: DbOrTx, userIds: readonly string[], now: Date): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .update(I)
    .set({ status: 'destroying', startingAt: null, statusChangedAt: now, updatedAt: now, destroyRequestedAt: now })
    // one array parameter, not one per user
    .where(and(sql`${I.userId} = any(${sql.param([...userIds])}::text[])`, inArray(I.status, [...DESTROYABLE])));
}

/** Of these users, those who have an instance row (in any status). */
export async function usersWithInstance(db: DbOrTx, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db
    .select({ userId: I.userId })
    .from(I)
    .where(sql`${I.userId} = any(${sql.param([...userIds])}::text[])`);
  return new Set(rows.map((r) => r.userId));
}

/** Writes a patch only while the instance is in `status`. */
export async function patchWhile(
  db: DbOrTx,
  id: string,
  status: InstanceStatus,
  patch: Patch,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(I)
    .set({ ...patch, updatedAt: now })
    .where(and(eq(I.id, id), eq(I.status, status)))
    .returning({ id: I.id });
  return rows.length > 0;
}

/** The last step of a destroy: the row goes once nothing it points at is left. */
export async function deleteIfDestroyed(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db
    .delete(I)
    .where(and(eq(I.id, id), eq(I.status, 'destroying'), isNull(I.machineId), isNull(I.volumeId)))
    .returning({ id: I.id });
  return rows.length > 0;
}

/** Set-based: every start that has timed out at `now` (startTimedOut, as SQL) is given up (`→ stopped`). */
export async function expireStaleStarts(db: DbOrTx, now: Date) {
  return db
    .update(I)
    .set({ status: 'stopped', startingAt: null, statusChangedAt: now, updatedAt: now, lastError: START_TIMED_OUT })
    .where(and(eq(I.status, 'starting'), or(lt(I.startingAt, startCutoff(now)), isNull(I.startingAt))))
    .returning({ id: I.id, machineId: I.machineId });
}

/**
 * One page of the instances in `status`, in id order after `afterId`: how the reconciler walks every
 * running row without an OFFSET (each page is an index range scan).
 */
export async function pageByStatus(
  db: DbOrTx,
  status: InstanceStatus,
  afterId: string | null,
  limit: number,
): Promise<Array<Pick<InstanceRow, 'id' | 'machineId' | 'statusChangedAt'>>> {
  return db
    .select({ id: I.id, machineId: I.machineId, statusChangedAt: I.statusChangedAt })
    .from(I)
    .where(afterId ? and(eq(I.status, status), gt(I.id, afterId)) : eq(I.status, status))
    .orderBy(I.id)
    .limit(limit);
}

/** The rows of these instance ids (a machine's metadata names its instance), by id. */
export async function statusesOf(
  db: DbOrTx,
  ids: string[],
): Promise<Map<string, Pick<InstanceRow, 'id' | 'status' | 'statusChangedAt'>>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: I.id, status: I.status, statusChangedAt: I.statusChangedAt })
    .from(I)
    .where(inArray(I.id, ids));
  return new Map(rows.map((r) => [r.id, r]));
}

export async function listByStatus(db: DbOrTx, status: InstanceStatus, limit: number): Promise<InstanceRow[]> {
  return db.select().from(I).where(eq(I.status, status)).orderBy(I.statusChangedAt).limit(limit);
}

/**
 * Running or starting instances of users billing has suspended: a stop the cron could not make (or
 * that a late resume undid) is made here, so a suspension always ends with the machine stopped.
 */
export async function listRunningWhileSuspended(db: DbOrTx, limit: number): Promise<InstanceRow[]> {
  return db
    .select()
    .from(I)
    .where(and(inArray(I.status, ['running', 'starting']), inArray(I.userId, suspendedUsers(db))))
    .limit(limit);
}

/**
 * Instances billing stopped whose user is no longer suspended: the resume after the reactivation
 * failed or never ran, so the reconciler starts them.
 */
export async function listSuspensionStopsToResume(db: DbOrTx, limit: number): Promise<InstanceRow[]> {
  return db
    .select()
    .from(I)
    .where(and(eq(I.status, 'stopped'), eq(I.stopReason, 'suspension'), inArray(I.userId, payingAgainUsers(db))))
    .limit(limit);
}

/** lastError of a stopped instance whose machine did not stop; the reconciler retries those. */
export const STOP_FAILED_PREFIX = 'stop failed: ';

export async function listFailedStops(db: DbOrTx, limit: number): Promise<InstanceRow[]> {
  return db
    .select()
    .from(I)
    .where(and(eq(I.status, 'stopped'), sql`${I.machineId} is not null`, like(I.lastError, `${STOP_FAILED_PREFIX}%`)))
    .limit(limit);
}

export async function clearStopFailure(db: DbOrTx, id: string, now: Date): Promise<void> {
  await db
    .update(I)
    .set({ lastError: null, updatedAt: now })
    .where(and(eq(I.id, id), eq(I.status, 'stopped'), like(I.lastError, `${STOP_FAILED_PREFIX}%`)));
}

/** Clears a destroyed machine or volume id, unless a start recorded a different one meanwhile. */
export async function clearDestroyed(
  db: DbOrTx,
  id: string,
  field: 'machineId' | 'volumeId',
  value: string,
  now: Date,
): Promise<void> {
  const column = field === 'machineId' ? I.machineId : I.volumeId;
  await db
    .update(I)
    .set({ [field]: null, updatedAt: now })
    .where(and(eq(I.id, id), eq(I.status, 'destroying'), eq(column, value)));
}
