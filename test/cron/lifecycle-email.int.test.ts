// Exactly-once email through a real, unreliable SMTP relay: claims, retries on later runs, and the
// cleanup path when even giving a claim back fails.
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendOnce } from '@/billing/emails/deliver';
import { runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import { createLogger } from '@/platform/logger';
import {
  at,
  lifecycleDeps,
  loggedEmails,
  type MailWorld,
  NOW,
  sinkMailer,
  startMailWorld,
  suspended,
  trial,
} from '../harness/cron-fixtures';
import { makeUser, type Person } from '../harness/users';

let w: MailWorld;

beforeAll(async () => {
  w = await startMailWorld({ sinkSeed: 7 });
});
afterAll(async () => {
  await w?.close();
});

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger({ level: 'warn', destination }), lines };
}

describe('email through a relay that refuses 30% of messages', () => {
  it('delivers every due email exactly once after reruns', async () => {
    const db = w.tdb.db;
    // six users due for each of the eight emails
    const due: Array<{ who: Person; subject: string }> = [];
    const add = async (n: number, subject: string, make: () => Promise<Person>) => {
      for (let i = 0; i < n; i++) due.push({ who: await make(), subject });
    };
    await add(6, 'Your KiloClaw trial ends soon', () => makeUser(db, { sub: trial(1) }));
    await add(6, 'Your KiloClaw earlybird access ends soon', () => makeUser(db, { earlybirdDays: 5 }));
    await add(6, 'Your KiloClaw trial has ended', () => makeUser(db, { sub: trial(-2) }));
    await add(6, 'Your KiloClaw earlybird access has ended', () => makeUser(db, { earlybirdDays: -2 }));
    await add(6, 'Your KiloClaw subscription has ended', () =>
      makeUser(db, { sub: { status: 'canceled', plan: 'standard' } }),
    );
    await add(6, 'Your KiloClaw assistant is suspended for an unpaid invoice', () =>
      makeUser(db, { sub: { status: 'past_due', plan: 'standard', pastDueSince: at(-20) } }),
    );
    await add(6, 'Your KiloClaw instance will be deleted soon', () => makeUser(db, { sub: suspended(5.5) }));
    await add(6, 'Your KiloClaw instance has been deleted', () => makeUser(db, { sub: suspended(9) }));

    w.sink.setRejectRate(0.3);
    const deps = lifecycleDeps({ db, mailer: w.mailer });
    const runs = [];
    for (let i = 0; i < 25; i++) {
      const s = await runBillingLifecycle(deps);
      runs.push(s.emails);
      if (s.emails.sent === 0 && s.emails.failed === 0) break;
    }
    w.sink.setRejectRate(0);

    expect(runs[0]!.failed).toBeGreaterThan(0); // the relay really refused some
    expect(runs.at(-1)).toEqual({ sent: 0, skipped: 0, failed: 0 }); // and reruns converged
    for (const { who, subject } of due) {
      expect(
        w.sink.to(who.email).map((m) => m.subject),
        who.id,
      ).toEqual([subject]);
    }
    expect(w.sink.received).toHaveLength(due.length);
    expect(runs.reduce((n, r) => n + r.sent, 0)).toBe(due.length);
    // every log row stands for a delivered email (failed claims were given back)
    const [{ n }] = (await db.execute<{ n: number }>(
      sql`select count(*)::int as n from kiloclaw_email_log where sent_at >= ${NOW.toISOString()}::timestamptz`,
    )) as unknown as [{ n: number }];
    expect(n).toBe(due.length);
    // each instance was acted on once, however many runs it took to mail the user
    const counts = new Map<string, number>();
    for (const c of deps.instanceActions.calls)
      counts.set(`${c.action}:${c.userId}`, (counts.get(`${c.action}:${c.userId}`) ?? 0) + 1);
    expect([...counts.values()].every((v) => v === 1)).toBe(true);
    expect(deps.instanceActions.calls.filter((c) => c.action === 'stop')).toHaveLength(24);
    expect(deps.instanceActions.calls.filter((c) => c.action === 'destroy')).toHaveLength(6);
  });
});

describe('one user whose mail fails', () => {
  it('does not stop the others, is counted, and is retried by the next run', async () => {
    const db = w.tdb.db;
    const [bad, ok1, ok2] = [
      await makeUser(db, { sub: trial(1.5) }),
      await makeUser(db, { sub: trial(1.5) }),
      await makeUser(db, { sub: trial(1.5) }),
    ];
    w.sink.rejectRecipients.add(bad!.email);
    const deps = lifecycleDeps({ db, mailer: w.mailer });
    try {
      const first = await runBillingLifecycle(deps);
      expect(first.sweeps.trial_warning.emails).toEqual({ sent: 2, skipped: 0, failed: 1 });
      expect(first.errors).toContainEqual({
        sweep: 'trial_warning',
        userId: bad!.id,
        step: 'email',
        message: expect.stringMatching(/451/),
      });
      expect(w.sink.to(ok1!.email)).toHaveLength(1);
      expect(w.sink.to(ok2!.email)).toHaveLength(1);
      expect(await loggedEmails(db, bad!.id)).toEqual([]); // claim given back
    } finally {
      w.sink.rejectRecipients.delete(bad!.email);
    }
    const second = await runBillingLifecycle(deps);
    expect(second.sweeps.trial_warning.emails).toEqual({ sent: 1, skipped: 0, failed: 0 });
    expect(w.sink.to(bad!.email).map((m) => m.subject)).toEqual(['Your KiloClaw trial ends soon']);
  });
});

describe('when giving the claim back fails too', () => {
  let stuck: Person;
  beforeAll(async () => {
    stuck = await makeUser(w.tdb.db, { sub: trial(1.2) });
    // A real failure of the DELETE, from PostgreSQL itself: a trigger refuses it for this user only.
    await w.tdb.db.execute(
      sql.raw(`
      create function refuse_log_delete() returns trigger language plpgsql as $$
      begin raise exception 'email log is read-only for this user (test trigger)'; end $$;
      create trigger refuse_log_delete before delete on kiloclaw_email_log
        for each row when (old.user_id = '${stuck.id}') execute function refuse_log_delete();`),
    );
    w.sink.rejectRecipients.add(stuck.email);
  });
  afterAll(async () => {
    w.sink.rejectRecipients.delete(stuck.email);
    await w.tdb.db.execute(sql`drop trigger refuse_log_delete on kiloclaw_email_log`);
  });

  it('throws the original send error and logs the failed release', async () => {
    const { logger, lines } = capturingLogger();
    const attempt = sendOnce(
      { db: w.tdb.db, mailer: sinkMailer(w.sink, logger), logger, appUrl: 'http://kiloclaw.test', now: NOW },
      'trial_ending',
      { userId: stuck.id, email: stuck.email, name: 'Ada', trialEndsAt: at(1.2) },
    );
    await expect(attempt).rejects.toThrow(/451 4\.3\.0 Temporary relay failure/);
    const line = lines.find((l) => String(l.msg).includes('could not be released'));
    expect(line).toMatchObject({ userId: stuck.id, emailType: 'trial_ending' });
    expect(String(line?.sendError)).toMatch(/451/);
    expect(String(line?.releaseError)).toMatch(/read-only for this user/);
    // the claim stayed (the delete really failed), so this email is not retried blindly
    expect(await loggedEmails(w.tdb.db, stuck.id)).toEqual(['trial_ending']);
  });

  it('reports the send error in the run summary and still mails everyone else', async () => {
    const other = await makeUser(w.tdb.db, { sub: trial(1.2) });
    // a fresh stuck user: the first one's claim is (correctly) still held
    const stuck2 = await makeUser(w.tdb.db, { sub: trial(1.2) });
    await w.tdb.db.execute(
      sql.raw(`create or replace trigger refuse_log_delete before delete on kiloclaw_email_log
      for each row when (old.user_id in ('${stuck.id}', '${stuck2.id}')) execute function refuse_log_delete();`),
    );
    w.sink.rejectRecipients.add(stuck2.email);
    const { logger, lines } = capturingLogger();
    const summary = await runBillingLifecycle(lifecycleDeps({ db: w.tdb.db, mailer: w.mailer, logger }));
    w.sink.rejectRecipients.delete(stuck2.email);
    expect(summary.errors).toContainEqual({
      sweep: 'trial_warning',
      userId: stuck2.id,
      step: 'email',
      message: expect.stringMatching(/451/),
    });
    expect(summary.errors.some((e) => /read-only/.test(e.message))).toBe(false);
    expect(w.sink.to(other.email)).toHaveLength(1);
    expect(lines.some((l) => l.userId === stuck2.id && /could not be released/.test(String(l.msg)))).toBe(true);
  });
});
