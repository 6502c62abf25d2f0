// Billing procedures of the kiloclaw router. Signed-in users only; a suspended user must still be able to pay.
import { getBillingStatus } from '@/billing/billing-status';
import { startTrial } from '@/billing/trial';
import { baseProcedure } from '../trpc';

export const billingProcedures = {
  getBillingStatus: baseProcedure.query(({ ctx }) => getBillingStatus(ctx.deps.db, ctx.user.id, ctx.deps.clock.now())),

  startTrial: baseProcedure.mutation(({ ctx }) =>
    startTrial({ db: ctx.deps.db, clock: ctx.deps.clock, trialDays: ctx.deps.config.TRIAL_DAYS }, ctx.user.id),
  ),
};
