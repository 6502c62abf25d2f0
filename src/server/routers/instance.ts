// Instance procedures of the kiloclaw router, behind the access gate. The instance is always the
// caller's own: every call addresses it by ctx.user.id, never by an id from the input.
import { z } from 'zod';
import { clawAccessProcedure, throttled } from '../trpc';

const actionProcedure = clawAccessProcedure.use(throttled('instanceAction'));

export const instanceProcedures = {
  getInstanceStatus: clawAccessProcedure.query(({ ctx }) => ctx.deps.instances.status(ctx.user.id)),

  startInstance: actionProcedure.mutation(({ ctx }) => ctx.deps.instances.start(ctx.user.id)),

  stopInstance: actionProcedure.mutation(({ ctx }) => ctx.deps.instances.stop(ctx.user.id)),

  destroyInstance: actionProcedure
    .input(
      z.object({
        // the dashboard sends true once the person has typed the confirmation word
        confirm: z.literal(true, {
          error: 'confirm must be true: the instance and all of its data are deleted for good',
        }),
      }),
    )
    .mutation(({ ctx }) => ctx.deps.instances.destroy(ctx.user.id)),
};
