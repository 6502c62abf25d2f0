// The out-of-order rule for Stripe state, shared by the webhook and the plan-management procedures.
import { describe, expect, it } from 'vitest';
import { snapshotOrder } from '@/billing/subscription-sync';

const row = (stripeSubscriptionId: string | null, stripeStateAt: number | null) => ({
  stripeSubscriptionId,
  stripeStateAt,
});

describe('snapshotOrder', () => {
  it('keeps a snapshot newer than the state on the row', () => {
    expect(snapshotOrder(row('sub_1', 100), 'sub_1', 101)).toBe('newer');
  });

  it('drops a snapshot older than the state on the row', () => {
    expect(snapshotOrder(row('sub_1', 100), 'sub_1', 99)).toBe('stale');
  });

  it('re-reads on a same-second tie, which cannot be ordered', () => {
    expect(snapshotOrder(row('sub_1', 100), 'sub_1', 100)).toBe('tie');
  });

  it('has nothing to compare with for a new row, an unstamped row or snapshot, or another subscription', () => {
    expect(snapshotOrder(null, 'sub_1', 100)).toBe('newer');
    expect(snapshotOrder(row('sub_1', null), 'sub_1', 100)).toBe('newer');
    expect(snapshotOrder(row('sub_1', 100), 'sub_1', null)).toBe('newer');
    expect(snapshotOrder(row('sub_0', 500), 'sub_1', 100)).toBe('newer');
  });
});
