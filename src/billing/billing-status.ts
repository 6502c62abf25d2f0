// What the dashboard shows on the billing page, derived from the rows.
import type { DbOrTx } from '@/db/client';
import type { Plan, SubscriptionStatus } from '@/db/schema';
import { type AccessDenialReason, decideAccess } from './access';
import type { BillingConfig } from './billing-deps';
import { earlybirdOnSale } from './checkout';
import { loadBillingRows } from './subscription-store';

export type BillingStatus = {
  status: SubscriptionStatus | 'none';
  plan: Plan | null;
  trialAvailable: boolean;
  trialEndsAt: Date | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  scheduledPlan: Plan | null;
  earlybirdExpiresAt: Date | null;
  suspendedAt: Date | null;
  destructionDeadline: Date | null;
  hasStripeCustomer: boolean;
  /** earlybird can still be bought (the dashboard hides the offer once it closed) */
  earlybirdOnSale: boolean;
  access: { allowed: true } | { allowed: false; reason: AccessDenialReason };
};

export async function getBillingStatus(
  db: DbOrTx,
  userId: string,
  now: Date,
  config: Pick<BillingConfig, 'EARLYBIRD_EXPIRES_AT'>,
): Promise<BillingStatus> {
  const { subscription: sub, earlybirdExpiresAt } = await loadBillingRows(db, userId);
  const decision = decideAccess({ subscription: sub, earlybirdExpiresAt }, now);
  return {
    status: sub?.status ?? 'none',
    plan: sub?.plan ?? null,
    trialAvailable: !sub,
    trialEndsAt: sub?.trialEndsAt ?? null,
    currentPeriodStart: sub?.currentPeriodStart ?? null,
    currentPeriodEnd: sub?.currentPeriodEnd ?? null,
    cancelAtPeriodEnd: sub?.cancelAtPeriodEnd ?? false,
    scheduledPlan: sub?.scheduledPlan ?? null,
    earlybirdExpiresAt,
    suspendedAt: sub?.suspendedAt ?? null,
    destructionDeadline: sub?.destructionDeadline ?? null,
    hasStripeCustomer: Boolean(sub?.stripeCustomerId),
    earlybirdOnSale: earlybirdOnSale(config, now),
    access: decision.allowed ? { allowed: true } : { allowed: false, reason: decision.reason },
  };
}
