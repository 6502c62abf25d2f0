// Reads and writes of kiloclaw_instance_channels: one row per (instance, channel), the desired state.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { ChannelKind } from '@/contracts/channel-input';
import type { DbOrTx } from '@/db/client';
import { kiloclawInstanceChannels } from '@/db/schema';

export type ChannelRow = typeof kiloclawInstanceChannels.$inferSelect;

const C = kiloclawInstanceChannels;

export function listChannelRows(db: DbOrTx, instanceId: string): Promise<ChannelRow[]> {
  return db.select().from(C).where(eq(C.instanceId, instanceId)).orderBy(asc(C.channel));
}

/** Insert or replace one channel's credentials (the primary key makes two racing connects one row). */
export async function upsertChannelRow(
  db: DbOrTx,
  row: { instanceId: string; channel: ChannelKind; credentials: string; hints: Record<string, string> },
  now: Date,
): Promise<void> {
  await db
    .insert(C)
    .values({ ...row, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [C.instanceId, C.channel],
      set: { credentials: sql`excluded.credentials`, hints: sql`excluded.hints`, updatedAt: now },
    });
}

/** Returns true when there was a row to delete. */
export async function deleteChannelRow(db: DbOrTx, instanceId: string, channel: ChannelKind): Promise<boolean> {
  const gone = await db
    .delete(C)
    .where(and(eq(C.instanceId, instanceId), eq(C.channel, channel)))
    .returning({ channel: C.channel });
  return gone.length > 0;
}

/** Swaps a value sealed under an older key for one under the newest, unless the row changed meanwhile. */
export async function resealChannelRow(
  db: DbOrTx,
  key: { instanceId: string; channel: ChannelKind },
  from: string,
  to: string,
): Promise<void> {
  await db
    .update(C)
    .set({ credentials: to })
    .where(and(eq(C.instanceId, key.instanceId), eq(C.channel, key.channel), eq(C.credentials, from)));
}
