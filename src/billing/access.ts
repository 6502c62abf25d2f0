// The access rule (docs/billing.md §1), in one place: used by clawAccessProcedure and by the lifecycle cron.
import type { SubscriptionStatus } from '@/db/schema';

export const ACCESS_DENIAL_REASONS = [
  'no_subscription',
  'trial_expired',
  'earlybird_expired',
  'subscription_ended',
  'suspended',
] as const;
export type AccessDenialReason = (typeof ACCESS_DENIAL_REASONS)[number];

export type AccessRows = {
  subscription: {
    status: SubscriptionStatus;
    trialEndsAt: Date | null;
    suspendedAt: Date | null;
  } | null;
  /** the latest expiry among the user's earlybird purchases, if any */
  earlybirdExpiresAt: Date | null;
};

export type AccessDecision =
  | { allowed: true; via: 'subscription' | 'past_due_grace' | 'trial' | 'earlybird' }
  | { allowed: false; reason: AccessDenialReason };

export function decideAccess(rows: AccessRows, now: Date): AccessDecision {
  const sub = rows.subscription;
  if (sub?.suspendedAt) return { allowed: false, reason: 'suspended' };
  if (sub?.status === 'active') return { allowed: true, via: 'subscription' };
  if (sub?.status === 'past_due') return { allowed: true, via: 'past_due_grace' };
  if (sub?.status === 'trialing' && sub.trialEndsAt && sub.trialEndsAt > now) return { allowed: true, via: 'trial' };
  if (rows.earlybirdExpiresAt && rows.earlybirdExpiresAt > now) return { allowed: true, via: 'earlybird' };

  if (sub?.status === 'canceled' || sub?.status === 'unpaid') return { allowed: false, reason: 'subscription_ended' };
  // a trial user whose later earlybird lapsed lost the earlybird, not the trial
  const earlybirdOutlastedTrial =
    rows.earlybirdExpiresAt && (!sub?.trialEndsAt || rows.earlybirdExpiresAt > sub.trialEndsAt);
  if (sub?.status === 'trialing' && !earlybirdOutlastedTrial) return { allowed: false, reason: 'trial_expired' };
  if (rows.earlybirdExpiresAt) return { allowed: false, reason: 'earlybird_expired' };
  return { allowed: false, reason: 'no_subscription' };
}

/** What a person reads when access is denied, and what fixes it. */
export const ACCESS_DENIAL_MESSAGES: Record<AccessDenialReason, string> = {
  no_subscription: 'You have no trial or subscription yet — start a free trial or subscribe to use your assistant.',
  trial_expired: 'Your trial has ended — subscribe to keep using your assistant.',
  earlybird_expired: 'Your earlybird access has ended — subscribe to keep using your assistant.',
  subscription_ended: 'Your subscription has ended — subscribe again to use your assistant.',
  suspended: 'Your account is suspended for an unpaid or expired plan — pay or subscribe to resume your assistant.',
};
