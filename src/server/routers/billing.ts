// Billing procedures of the kiloclaw router. Signed-in users only; a suspended user must still be able to pay.
import { z } from 'zod';
import type { BillingDeps } from '@/billing/billing-deps';
import { getBillingStatus } from '@/billing/billing-status';
import { createEarlybirdCheckout, createSubscriptionCheckout } from '@/billing/checkout';
import { PLANS } from '@/billing/plans';
import {
  cancelPlanSwitch,
  cancelSubscription,
  createBillingPortalSession,
  reactivateSubscription,
  switchPlan,
} from '@/billing/subscription-actions';
import { startTrial } from '@/billing/trial';
import { baseProcedure, type TrpcContext } from '../trpc';

const planInput = z.object({
  plan: z.enum(PLANS, { error: () => `Choose a plan: ${PLANS.join(' or ')}.` }),
});

const billingDeps = (ctx: TrpcContext): BillingDeps => ({
  db: ctx.deps.db,
  stripe: ctx.deps.stripe,
  clock: ctx.deps.clock,
  logger: ctx.logger,
  config: ctx.deps.config,
});

export const billingProcedures = {
  getBillingStatus: baseProcedure.query(({ ctx }) =>
    getBillingStatus(ctx.deps.db, ctx.user.id, ctx.deps.clock.now(), ctx.deps.config),
  ),

  startTrial: baseProcedure.mutation(({ ctx }) =>
    startTrial({ db: ctx.deps.db, clock: ctx.deps.clock, trialDays: ctx.deps.config.TRIAL_DAYS }, ctx.user.id),
  ),

  createSubscriptionCheckout: baseProcedure
    .input(planInput)
    .mutation(({ ctx, input }) => createSubscriptionCheckout(billingDeps(ctx), ctx.user, input.plan)),

  createEarlybirdCheckout: baseProcedure.mutation(({ ctx }) => createEarlybirdCheckout(billingDeps(ctx), ctx.user)),

  cancelSubscription: baseProcedure.mutation(({ ctx }) => cancelSubscription(billingDeps(ctx), ctx.user.id)),

  reactivateSubscription: baseProcedure.mutation(({ ctx }) => reactivateSubscription(billingDeps(ctx), ctx.user.id)),

  switchPlan: baseProcedure
    .input(planInput)
    .mutation(({ ctx, input }) => switchPlan(billingDeps(ctx), ctx.user.id, input.plan)),

  cancelPlanSwitch: baseProcedure.mutation(({ ctx }) => cancelPlanSwitch(billingDeps(ctx), ctx.user.id)),

  createBillingPortalSession: baseProcedure.mutation(({ ctx }) =>
    createBillingPortalSession(billingDeps(ctx), ctx.user.id),
  ),
};
