// The lifecycle against concurrent actors on a real PostgreSQL: a second cron run, and the webhook's
// reactivation racing the expiry sweep.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIFECYCLE_LOCK_KEY } from '@/billing/lifecycle/constants';
import { runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import { recordingInstanceActions } from '@/billing/ports';
import { applySubscriptionState, lockBillingRow } from '@/billing/subscription-sync';
import { fixedClock } from '@/platform/clock';
import { startTestApp, TEST_SECRETS, type TestApp, testConfig } from '../harness/app';
import {
  at,
  lifecycleDeps,
  type MailWorld,
  NOW,
  quietLogger,
  startMailWorld,
  subOf,
  suspended,
  trial,
} from '../harness/cron-fixtures';
import { makeUser, type Person } from '../harness/users';

let w: MailWorld;

beforeAll(async () => {
  w = await startMailWorld({ dbMax: 30 });
});
afterAll(async () => {
  await w?.close();
});

/** Users due for each of the eight sweeps. */
async function dueForEverySweep(n: number): Promise<Person[]> {
  const out: Person[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await makeUser(w.tdb.db, { sub: trial(1) }),
      await makeUser(w.tdb.db, { earlybirdDays: 3 }),
      await makeUser(w.tdb.db, { sub: trial(-1) }),
      await makeUser(w.tdb.db, { earlybirdDays: -1 }),
      await makeUser(w.tdb.db, { sub: { status: 'unpaid', plan: 'standard' } }),
      await makeUser(w.tdb.db, { sub: { status: 'past_due', plan: 'commit', pastDueSince: at(-30) } }),
      await makeUser(w.tdb.db, { sub: suspended(6) }),
      await makeUser(w.tdb.db, { sub: suspended(10) }),
    );
  }
  return out;
}

function expectEachOnce(people: Person[], calls: Array<{ action: string; userId: string }>) {
  for (const p of people) expect(w.sink.to(p.email), p.id).toHaveLength(1);
  const keys = calls.map((c) => `${c.action}:${c.userId}`);
  expect(new Set(keys).size).toBe(keys.length); // no instance stopped or destroyed twice
}

describe('two cron calls at once', () => {
  let app: TestApp;
  const actions = recordingInstanceActions();
  beforeAll(async () => {
    app = await startTestApp({
      db: w.tdb.db,
      clock: fixedClock(NOW),
      extend: (d) => ({ ...d, mailer: w.mailer, instanceActions: actions }),
    });
  });
  afterAll(async () => app?.close());

  const call = () =>
    fetch(`${app.url}/api/cron/billing-lifecycle`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` },
    });

  it('runs one and skips the other, with no duplicate email and no double action', async () => {
    const people = await dueForEverySweep(4);
    w.sink.setDelayMs(25); // a slow relay keeps the first run holding the lock
    try {
      const first = call();
      // wait until the first run really holds the advisory lock, then knock
      for (let i = 0; i < 400; i++) {
        const rows = await w.tdb.db.execute(sql`
          select 1 from pg_locks where locktype = 'advisory' and granted and objsubid = 1
            and database = (select oid from pg_database where datname = current_database())
            and objid = ${Number(LIFECYCLE_LOCK_KEY & 0xffffffffn)}::oid`);
        if (rows.length) break;
        await sleep(5);
      }
      const second = await call();
      expect(second.status).toBe(200);
      expect(await second.json()).toEqual({ skipped: true, reason: 'another run holds the lock' });
      const done = await first;
      expect(done.status).toBe(200);
      const summary = await done.json();
      expect(summary).toMatchObject({ skipped: false, ok: true, emails: { sent: people.length, failed: 0 } });
      expect(summary.sweeps.destruction.actioned).toBe(4);
    } finally {
      w.sink.setDelayMs(0);
    }
    expectEachOnce(people, actions.calls);
    // the lock is released: the next call runs (and finds nothing left to do)
    const third = await call();
    expect(await third.json()).toMatchObject({ skipped: false, emails: { sent: 0 } });
  });
});

describe('two runs that bypass the lock (e.g. a lock lost with its connection)', () => {
  it('still send each email once and act on each instance once', async () => {
    const people = await dueForEverySweep(15);
    const a = lifecycleDeps({ db: w.tdb.db, mailer: w.mailer });
    const b = { ...a, instanceActions: a.instanceActions }; // shared record of instance calls
    const [ra, rb] = await Promise.all([runBillingLifecycle(a), runBillingLifecycle(b)]);
    expect(ra.emails.failed + rb.emails.failed).toBe(0);
    expect(ra.emails.sent + rb.emails.sent).toBe(people.length);
    expectEachOnce(people, a.instanceActions.calls);
  });
});

describe('a reactivation racing the trial-expiry sweep', () => {
  // The webhook's own write path (billing/subscription-sync.ts): row lock, then the new Stripe state.
  const prices = testConfig();
  async function reactivate(userId: string, holdMs: number) {
    const subscription = {
      id: `sub_${userId}`,
      status: 'active',
      customer: `cus_${userId}`,
      cancel_at_period_end: false,
      items: {
        data: [
          {
            price: { id: prices.STRIPE_PRICE_STANDARD },
            current_period_start: NOW.getTime() / 1000,
            current_period_end: at(30).getTime() / 1000,
          },
        ],
      },
    } as unknown as Stripe.Subscription;
    await w.tdb.db.transaction(async (tx) => {
      const row = await lockBillingRow(tx, userId);
      if (holdMs) await sleep(holdMs); // keep the row locked while the sweep runs
      await applySubscriptionState(
        tx,
        { prices, logger: quietLogger() },
        { userId, row, subscription, stateAt: null, now: NOW },
      );
    });
  }

  it('never leaves an active user suspended (100 races)', async () => {
    const deps = lifecycleDeps({ db: w.tdb.db, mailer: w.mailer });
    let wronglySuspended = 0;
    let sweepFirst = 0;
    for (let i = 0; i < 100; i++) {
      const user = await makeUser(w.tdb.db, { sub: trial(-1) });
      const jitter = i % 4; // 0–3 ms head start for the sweep, and sometimes a held row lock
      await Promise.all([
        runBillingLifecycle(deps),
        sleep(jitter).then(() => reactivate(user.id, i % 5 === 0 ? 3 : 0)),
      ]);
      const row = await subOf(w.tdb.db, user.id);
      expect(row?.status).toBe('active');
      if (row?.suspendedAt) wronglySuspended++;
      if (deps.instanceActions.calls.some((c) => c.userId === user.id)) sweepFirst++;
    }
    expect(wronglySuspended).toBe(0);
    // both orders happen: sometimes the sweep suspends first and the reactivation undoes it
    console.info(`race: the sweep suspended first in ${sweepFirst}/100 rounds, the reactivation won the rest`);
  });
});
