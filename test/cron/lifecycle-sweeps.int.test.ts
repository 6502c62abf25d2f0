// Each sweep at its boundaries: a user a day on either side of every threshold, one run, then what
// each of them would notice (row state, instance action, the email in a real SMTP inbox).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDate } from '@/billing/emails/layout';
import { type LifecycleSummary, runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import type { Db } from '@/db/client';
import {
  at,
  lifecycleDeps,
  loggedEmails,
  type MailWorld,
  NOW,
  startMailWorld,
  subOf,
  suspended,
  trial,
} from '../harness/cron-fixtures';
import { makeUser, type Person } from '../harness/users';

let w: MailWorld;
let deps: ReturnType<typeof lifecycleDeps>;
let summary: LifecycleSummary;
let u: Awaited<ReturnType<typeof makeCast>>;

/** One user a day on either side of each threshold, plus the ones a rule must leave alone. */
async function makeCast(db: Db) {
  return {
    trialEndsIn1: await makeUser(db, { sub: trial(1) }),
    trialEndsIn3: await makeUser(db, { sub: trial(3) }),
    trialEnded1Ago: await makeUser(db, { sub: trial(-1) }),
    trialEndedWithEarlybird: await makeUser(db, { sub: trial(-1), earlybirdDays: 30 }),
    earlybirdEndsIn6: await makeUser(db, { earlybirdDays: 6 }),
    earlybirdEndsIn8: await makeUser(db, { earlybirdDays: 8 }),
    earlybirdEndsIn6Suspended: await makeUser(db, { sub: suspended(2), earlybirdDays: 6 }),
    earlybirdEndsIn6Subscriber: await makeUser(db, { sub: { status: 'active', plan: 'standard' }, earlybirdDays: 6 }),
    earlybirdEnded1Ago: await makeUser(db, { earlybirdDays: -1 }),
    earlybirdEndsIn1: await makeUser(db, { earlybirdDays: 1 }),
    earlybirdEndedSubscriber: await makeUser(db, { sub: { status: 'active', plan: 'standard' }, earlybirdDays: -1 }),
    canceled: await makeUser(db, { sub: { status: 'canceled', plan: 'standard' } }),
    unpaid: await makeUser(db, { sub: { status: 'unpaid', plan: 'commit' } }),
    active: await makeUser(db, { sub: { status: 'active', plan: 'standard' } }),
    canceledWithEarlybird: await makeUser(db, { sub: { status: 'canceled', plan: 'standard' }, earlybirdDays: 30 }),
    pastDue15: await makeUser(db, { sub: { status: 'past_due', plan: 'standard', pastDueSince: at(-15) } }),
    pastDue13: await makeUser(db, { sub: { status: 'past_due', plan: 'standard', pastDueSince: at(-13) } }),
    suspended4: await makeUser(db, { sub: suspended(4) }),
    suspended6: await makeUser(db, { sub: suspended(6) }),
    suspended8: await makeUser(db, { sub: suspended(8) }),
  };
}

beforeAll(async () => {
  w = await startMailWorld();
  const db = w.tdb.db;
  u = await makeCast(db);
  deps = lifecycleDeps({ db, mailer: w.mailer });
  summary = await runBillingLifecycle(deps);
});

afterAll(async () => {
  await w?.close();
});

const subjects = (p: Person) => w.sink.to(p.email).map((m) => m.subject);
const actions = (p: Person) => deps.instanceActions.calls.filter((c) => c.userId === p.id).map((c) => c.action);

describe('1. trial warning (2 days)', () => {
  it('warns a trial ending in 1 day, once, with its end date', async () => {
    expect(subjects(u.trialEndsIn1)).toEqual(['Your KiloClaw trial ends soon']);
    expect(w.sink.to(u.trialEndsIn1.email)[0]!.text).toContain(formatDate(at(1)));
    expect(await loggedEmails(w.tdb.db, u.trialEndsIn1.id)).toEqual(['trial_ending']);
    expect((await subOf(w.tdb.db, u.trialEndsIn1.id))?.suspendedAt).toBeNull();
  });
  it('does not warn a trial ending in 3 days', () => {
    expect(subjects(u.trialEndsIn3)).toEqual([]);
  });
});

describe('2. earlybird warning (7 days)', () => {
  it('warns an earlybird whose access ends in 6 days, with the date', () => {
    expect(subjects(u.earlybirdEndsIn6)).toEqual(['Your KiloClaw earlybird access ends soon']);
    expect(w.sink.to(u.earlybirdEndsIn6.email)[0]!.text).toContain(formatDate(at(6)));
  });
  it('does not warn one whose access ends in 8 days', () => {
    expect(subjects(u.earlybirdEndsIn8)).toEqual([]);
  });
  it('does not warn a suspended user', async () => {
    expect(subjects(u.earlybirdEndsIn6Suspended)).toEqual([]);
    expect(await loggedEmails(w.tdb.db, u.earlybirdEndsIn6Suspended.id)).toEqual(['subscription_expired']);
  });
  it('does not warn someone with a paid subscription', () => {
    expect(subjects(u.earlybirdEndsIn6Subscriber)).toEqual([]);
  });
});

describe('3. trial expiry', () => {
  it('suspends a trial that ended a day ago, stops the instance and says so', async () => {
    const row = await subOf(w.tdb.db, u.trialEnded1Ago.id);
    expect(row?.suspendedAt).toEqual(NOW);
    expect(row?.destructionDeadline).toEqual(at(7));
    expect(row?.status).toBe('trialing');
    expect(actions(u.trialEnded1Ago)).toEqual(['stop']);
    expect(subjects(u.trialEnded1Ago)).toEqual(['Your KiloClaw trial has ended']);
    expect(w.sink.to(u.trialEnded1Ago.email)[0]!.text).toContain(formatDate(at(7)));
  });
  it('leaves a trial ending tomorrow running', async () => {
    expect((await subOf(w.tdb.db, u.trialEndsIn1.id))?.suspendedAt).toBeNull();
    expect(actions(u.trialEndsIn1)).toEqual([]);
  });
  it('does not suspend an ended trial covered by a valid earlybird', async () => {
    expect((await subOf(w.tdb.db, u.trialEndedWithEarlybird.id))?.suspendedAt).toBeNull();
    expect(subjects(u.trialEndedWithEarlybird)).toEqual([]);
  });
});

describe('4. earlybird expiry', () => {
  it('suspends an earlybird whose access ended a day ago', async () => {
    const row = await subOf(w.tdb.db, u.earlybirdEnded1Ago.id);
    expect(row).toMatchObject({ status: 'canceled', plan: null, suspendedAt: NOW, destructionDeadline: at(7) });
    expect(actions(u.earlybirdEnded1Ago)).toEqual(['stop']);
    expect(subjects(u.earlybirdEnded1Ago)).toEqual(['Your KiloClaw earlybird access has ended']);
    expect(w.sink.to(u.earlybirdEnded1Ago.email)[0]!.text).toContain(formatDate(at(-1)));
  });
  it('leaves an earlybird ending tomorrow alone (they get the warning)', async () => {
    expect(await subOf(w.tdb.db, u.earlybirdEndsIn1.id)).toBeNull();
    expect(subjects(u.earlybirdEndsIn1)).toEqual(['Your KiloClaw earlybird access ends soon']);
  });
  it('leaves a subscriber whose earlybird ended alone', async () => {
    expect((await subOf(w.tdb.db, u.earlybirdEndedSubscriber.id))?.suspendedAt).toBeNull();
    expect(subjects(u.earlybirdEndedSubscriber)).toEqual([]);
  });
});

describe('5. subscription expiry', () => {
  it.each(['canceled', 'unpaid'] as const)('suspends a %s subscription', async (k) => {
    expect((await subOf(w.tdb.db, u[k].id))?.suspendedAt).toEqual(NOW);
    expect(actions(u[k])).toEqual(['stop']);
    expect(subjects(u[k])).toEqual(['Your KiloClaw subscription has ended']);
  });
  it('leaves an active subscription alone', async () => {
    expect((await subOf(w.tdb.db, u.active.id))?.suspendedAt).toBeNull();
    expect(actions(u.active)).toEqual([]);
  });
  it('does not suspend a canceled subscriber still covered by earlybird', async () => {
    expect((await subOf(w.tdb.db, u.canceledWithEarlybird.id))?.suspendedAt).toBeNull();
  });
});

describe('6. past-due cleanup (14 days)', () => {
  it('suspends a subscription past due for 15 days', async () => {
    expect((await subOf(w.tdb.db, u.pastDue15.id))?.suspendedAt).toEqual(NOW);
    expect(actions(u.pastDue15)).toEqual(['stop']);
    expect(subjects(u.pastDue15)).toEqual(['Your KiloClaw assistant is suspended for an unpaid invoice']);
  });
  it('keeps the grace for one past due for 13 days', async () => {
    expect((await subOf(w.tdb.db, u.pastDue13.id))?.suspendedAt).toBeNull();
    expect(subjects(u.pastDue13)).toEqual([]);
  });
});

describe('7. destruction warning (5 days suspended)', () => {
  it('warns a user suspended 6 days ago, naming the deletion date', () => {
    expect(subjects(u.suspended6)).toEqual(['Your KiloClaw instance will be deleted soon']);
    expect(w.sink.to(u.suspended6.email)[0]!.text).toContain(formatDate(at(1)));
    expect(actions(u.suspended6)).toEqual([]);
  });
  it('does not warn a user suspended 4 days ago', () => {
    expect(subjects(u.suspended4)).toEqual([]);
  });
});

describe('8. destruction (7 days suspended)', () => {
  it('destroys the instance of a user suspended 8 days ago and tells them, without a late warning', async () => {
    expect(actions(u.suspended8)).toEqual(['destroy']);
    expect(subjects(u.suspended8)).toEqual(['Your KiloClaw instance has been deleted']);
    const row = await subOf(w.tdb.db, u.suspended8.id);
    expect(row?.suspendedAt).toEqual(at(-8));
    expect(row?.destructionDeadline).toBeNull(); // nothing left to destroy
  });
  it('does not destroy one suspended 6 days ago', async () => {
    expect(actions(u.suspended6)).not.toContain('destroy');
    expect((await subOf(w.tdb.db, u.suspended6.id))?.destructionDeadline).toEqual(at(1));
  });
});

describe('the run', () => {
  it('reports what each sweep did', () => {
    expect(summary.ok).toBe(true);
    expect(Object.fromEntries(Object.entries(summary.sweeps).map(([k, v]) => [k, v.actioned]))).toEqual({
      trial_warning: 1,
      earlybird_warning: 2,
      trial_expiry: 1,
      earlybird_expiry: 1,
      subscription_expiry: 2,
      past_due_cleanup: 1,
      destruction_warning: 1,
      destruction: 1,
    });
    expect(summary.emails).toEqual({ sent: 10, skipped: 0, failed: 0 });
    expect(summary.errorCount).toBe(0);
  });

  it('does nothing more when run again at the same instant', async () => {
    const before = { mails: w.sink.received.length, calls: deps.instanceActions.calls.length };
    const again = await runBillingLifecycle(deps);
    expect(again.emails).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(Object.values(again.sweeps).every((s) => s.actioned === 0)).toBe(true);
    expect(w.sink.received.length).toBe(before.mails);
    expect(deps.instanceActions.calls.length).toBe(before.calls);
  });
});
