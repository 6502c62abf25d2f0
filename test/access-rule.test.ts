import { describe, expect, it } from 'vitest';
import { type AccessRows, decideAccess } from '@/billing/access';

const now = new Date('2026-11-28T12:00:00Z');
const past = new Date('2026-11-27T12:00:00Z');
const future = new Date('2026-11-29T12:00:00Z');
const sub = (s: Partial<NonNullable<AccessRows['subscription']>>): AccessRows['subscription'] => ({
  status: 'active',
  trialEndsAt: null,
  suspendedAt: null,
  ...s,
});

describe('decideAccess', () => {
  it.each([
    ['nothing at all', { subscription: null, earlybirdExpiresAt: null }, 'no_subscription'],
    [
      'an expired trial',
      { subscription: sub({ status: 'trialing', trialEndsAt: past }), earlybirdExpiresAt: null },
      'trial_expired',
    ],
    [
      'a trial that ends exactly now',
      { subscription: sub({ status: 'trialing', trialEndsAt: now }), earlybirdExpiresAt: null },
      'trial_expired',
    ],
    [
      'a canceled subscription',
      { subscription: sub({ status: 'canceled' }), earlybirdExpiresAt: null },
      'subscription_ended',
    ],
    [
      'an unpaid subscription',
      { subscription: sub({ status: 'unpaid' }), earlybirdExpiresAt: null },
      'subscription_ended',
    ],
    ['an expired earlybird only', { subscription: null, earlybirdExpiresAt: past }, 'earlybird_expired'],
    [
      'a suspended active subscriber',
      { subscription: sub({ suspendedAt: past }), earlybirdExpiresAt: null },
      'suspended',
    ],
    [
      'a suspended user with earlybird time left',
      { subscription: sub({ status: 'canceled', suspendedAt: past }), earlybirdExpiresAt: future },
      'suspended',
    ],
  ] as const)('denies %s', (_name, rows, reason) => {
    expect(decideAccess(rows as AccessRows, now)).toEqual({ allowed: false, reason });
  });

  it.each([
    ['an active subscription', { subscription: sub({}), earlybirdExpiresAt: null }, 'subscription'],
    [
      'a past-due subscription (grace)',
      { subscription: sub({ status: 'past_due' }), earlybirdExpiresAt: null },
      'past_due_grace',
    ],
    [
      'a running trial',
      { subscription: sub({ status: 'trialing', trialEndsAt: future }), earlybirdExpiresAt: null },
      'trial',
    ],
    ['earlybird time left', { subscription: null, earlybirdExpiresAt: future }, 'earlybird'],
    [
      'earlybird time left after a canceled plan',
      { subscription: sub({ status: 'canceled' }), earlybirdExpiresAt: future },
      'earlybird',
    ],
    [
      'earlybird time left after the trial',
      { subscription: sub({ status: 'trialing', trialEndsAt: past }), earlybirdExpiresAt: future },
      'earlybird',
    ],
  ] as const)('allows %s', (_name, rows, via) => {
    expect(decideAccess(rows as AccessRows, now)).toEqual({ allowed: true, via });
  });
});
