// The sweeps stream their due rows in chunks (one cursor per pass) and the earlybird-expiry sweep
// marks the purchases it has judged: more due users than a chunk holds, a user whose earlier purchase
// was judged while a later one still ran, and a pool too small to stream from.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import { createDb } from '@/db/client';
import { kiloclawEarlybirdPurchases } from '@/db/schema';
import { fixedClock } from '@/platform/clock';
import {
  at,
  lifecycleDeps,
  loggedEmails,
  type MailWorld,
  startMailWorld,
  subOf,
  suspended,
  trial,
} from '../harness/cron-fixtures';
import { makeUser, type Person } from '../harness/users';

let w: MailWorld;

beforeAll(async () => {
  w = await startMailWorld();
});
afterAll(async () => {
  await w?.close();
});

const subjects = (p: Person) => w.sink.to(p.email).map((m) => m.subject);

describe('more due users than a chunk holds', () => {
  it('acts on and mails each of them exactly once, and a second run finds nothing left', async () => {
    const make = async (n: number, sub: Parameters<typeof makeUser>[1]) => {
      const out: Person[] = [];
      for (let i = 0; i < n; i++) out.push(await makeUser(w.tdb.db, sub));
      return out;
    };
    const warned = await make(7, { sub: trial(1) });
    const expired = await make(7, { sub: trial(-1) });
    const destroyed = await make(7, { sub: suspended(10) });
    const deps = lifecycleDeps({ db: w.tdb.db, mailer: w.mailer, settings: { batchSize: 3 } });

    const first = await runBillingLifecycle(deps);
    expect(first.sweeps.trial_warning.actioned).toBe(7);
    expect(first.sweeps.trial_expiry.actioned).toBe(7);
    expect(first.sweeps.destruction.actioned).toBe(7);
    for (const p of warned) expect(subjects(p)).toEqual(['Your KiloClaw trial ends soon']);
    for (const p of expired) {
      expect(subjects(p)).toEqual(['Your KiloClaw trial has ended']);
      expect((await subOf(w.tdb.db, p.id))?.suspendedAt).toEqual(at(0));
    }
    for (const p of destroyed) expect(await loggedEmails(w.tdb.db, p.id)).toContain('instance_destroyed');
    const calls = deps.instanceActions.calls;
    expect(calls.filter((c) => c.action === 'stop').map((c) => c.userId)).toEqual(
      expect.arrayContaining(expired.map((p) => p.id)),
    );
    expect(calls.filter((c) => c.action === 'stop')).toHaveLength(7);
    expect(calls.filter((c) => c.action === 'destroy')).toHaveLength(7);

    const mails = w.sink.received.length;
    const again = await runBillingLifecycle(deps);
    expect(Object.values(again.sweeps).every((s) => s.actioned === 0)).toBe(true);
    expect(w.sink.received.length).toBe(mails);
    expect(deps.instanceActions.calls).toHaveLength(14);
  });
});

describe('earlybird purchases judged after they expire', () => {
  it('suspends a user when their last purchase ends, though an earlier one was judged while it still ran', async () => {
    const p = await makeUser(w.tdb.db, { earlybirdDays: -10 });
    await w.tdb.db.insert(kiloclawEarlybirdPurchases).values({
      userId: p.id,
      stripeCheckoutSessionId: `cs_later_${p.id}`,
      expiresAt: at(20),
      purchasedAt: at(-5),
    });

    const today = await runBillingLifecycle(lifecycleDeps({ db: w.tdb.db, mailer: w.mailer }));
    expect(today.ok).toBe(true);
    expect(await subOf(w.tdb.db, p.id)).toBeNull();
    const judged = await w.tdb.db
      .select({ expiresAt: kiloclawEarlybirdPurchases.expiresAt, checked: kiloclawEarlybirdPurchases.expiryCheckedAt })
      .from(kiloclawEarlybirdPurchases)
      .where(eq(kiloclawEarlybirdPurchases.userId, p.id))
      .orderBy(kiloclawEarlybirdPurchases.expiresAt);
    expect(judged).toEqual([
      { expiresAt: at(-10), checked: at(0) },
      { expiresAt: at(20), checked: null },
    ]);

    const later = await runBillingLifecycle(
      lifecycleDeps({ db: w.tdb.db, mailer: w.mailer, clock: fixedClock(at(21)) }),
    );
    expect(later.ok).toBe(true);
    const row = await subOf(w.tdb.db, p.id);
    expect(row?.status).toBe('canceled');
    expect(row?.suspendedAt).toEqual(at(21));
    expect(subjects(p)).toContain('Your KiloClaw earlybird access has ended');
  });
});

describe('a database pool too small to stream from', () => {
  it('fails each sweep with a message naming DATABASE_POOL_MAX instead of waiting forever', async () => {
    const small = createDb(w.tdb.url, { max: 2 });
    try {
      const summary = await runBillingLifecycle(lifecycleDeps({ db: small.db, mailer: w.mailer }));
      expect(summary.ok).toBe(false);
      expect(summary.errors[0]?.message).toMatch(/at least 3 connections \(DATABASE_POOL_MAX is 2\)/);
    } finally {
      await small.close();
    }
  });
});
