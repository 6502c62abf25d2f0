// Lists read through the exec fallback, cached in PostgreSQL for 120 s per (instance, kind).
// Invalidation writes a tombstone (expired, stamped with the approval time) rather than deleting:
// a fallback read that began before the approval and finishes after it then cannot put the
// approved request back, because a write only lands over an older stamp.
import { and, eq, gt, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { kiloclawPairingCache, PAIRING_KINDS, type PairingKind } from '@/db/schema';

const FALLBACK_CACHE_TTL_MS = 120_000; // a CLI list costs seconds; two minutes of staleness is acceptable

const C = kiloclawPairingCache;

export async function readFallbackCache(
  db: DbOrTx,
  instanceId: string,
  kind: PairingKind,
  now: Date,
): Promise<unknown | null> {
  const [row] = await db
    .select({ payload: C.payload })
    .from(C)
    .where(and(eq(C.instanceId, instanceId), eq(C.kind, kind), gt(C.expiresAt, now)))
    .limit(1);
  return row?.payload ?? null;
}

/** Stores a list read at `readStartedAt`, unless something newer (a fill or an invalidation) is already there. */
export async function writeFallbackCache(
  db: DbOrTx,
  instanceId: string,
  kind: PairingKind,
  payload: unknown,
  readStartedAt: Date,
): Promise<boolean> {
  const rows = await db
    .insert(C)
    .values({
      instanceId,
      kind,
      payload,
      fetchedAt: readStartedAt,
      expiresAt: new Date(readStartedAt.getTime() + FALLBACK_CACHE_TTL_MS),
    })
    .onConflictDoUpdate({
      target: [C.instanceId, C.kind],
      set: { payload: sql`excluded.payload`, fetchedAt: sql`excluded.fetched_at`, expiresAt: sql`excluded.expires_at` },
      setWhere: sql`${C.fetchedAt} < excluded.fetched_at`,
    })
    .returning({ kind: C.kind });
  return rows.length > 0;
}

/** After a successful approve (either path): every cached list of the instance is stale. */
export async function invalidateFallbackCache(db: DbOrTx, instanceId: string, now: Date): Promise<void> {
  await db
    .insert(C)
    .values(
      PAIRING_KINDS.map((kind) => ({
        instanceId,
        kind,
        payload: { requests: [], lastUpdated: null },
        fetchedAt: now,
        expiresAt: now,
      })),
    )
    .onConflictDoUpdate({
      target: [C.instanceId, C.kind],
      set: { fetchedAt: sql`greatest(${C.fetchedAt}, excluded.fetched_at)`, expiresAt: sql`excluded.expires_at` },
    });
}
