// Instance procedures of the kiloclaw router, behind the access gate.
import { eq } from 'drizzle-orm';
import { kiloclawInstances } from '@/db/schema';
import { clawAccessProcedure } from '../trpc';

export const instanceProcedures = {
  getInstanceStatus: clawAccessProcedure.query(async ({ ctx }) => {
    const [row] = await ctx.deps.db
      .select({ status: kiloclawInstances.status, updatedAt: kiloclawInstances.statusChangedAt })
      .from(kiloclawInstances)
      .where(eq(kiloclawInstances.userId, ctx.user.id))
      .limit(1);
    return row ?? { status: 'none' as const, updatedAt: null };
  }),
};
