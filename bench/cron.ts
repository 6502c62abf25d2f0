// bench:cron — one billing-lifecycle run over 100,000 subscriptions of which 1% are due for each of
// the eight sweeps (8,000 users to act on and mail), against its own embedded PostgreSQL.
//   lifecycle: the real run (advisory lock + set-based, batched sweeps), mail to an in-process sink
//   naive:     the obvious first design on an equal fresh dataset — per sweep, select every row, decide
//              in JS, then one UPDATE (bare `where user_id = ?`) + one log insert per due user
// Prints both times, the SQL statements each issued, and ratio = naive_seconds / seconds.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { renderEmail } from '@/billing/emails/layout';
import { EMAIL_TEMPLATES } from '@/billing/emails/templates';
import { DEFAULT_LIFECYCLE_SETTINGS, LIFECYCLE_LOCK_KEY } from '@/billing/lifecycle/constants';
import { withAdvisoryLock } from '@/billing/lifecycle/exclusive-run';
import { type LifecycleSummary, runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import { recordingInstanceActions } from '@/billing/ports';
import type { Db } from '@/db/client';
import { startEmbeddedPostgres } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import type { EmailType } from '@/db/schema';
import * as schema from '@/db/schema';
import { DAY_MS, fixedClock } from '@/platform/clock';
import { createLogger } from '@/platform/logger';
import type { Mailer, MailMessage } from '@/platform/mailer';
import { sized } from './lib';

const SUBSCRIPTIONS = sized(100_000, 2_000);
const DUE_PER_SWEEP = SUBSCRIPTIONS / 100; // 1%
const NOW = new Date();
const logger = createLogger({ level: 'silent' });

/** A postgres.js client that counts every statement it sends. */
function countingDb(url: string) {
  const counter = { statements: 0 };
  const client = postgres(url, { max: 10, onnotice: () => {}, debug: () => void counter.statements++ });
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, client, counter };
}

/** The in-process mail sink: keeps what it is given, like a relay that always accepts. */
function sinkMailer(): Mailer & { messages: MailMessage[] } {
  const messages: MailMessage[] = [];
  return { messages, send: async (m) => void messages.push(m), close: async () => {} };
}

/**
 * 100,000 subscription rows (+1,000 earlybird-only users), built by generate_series in a few
 * statements. Users by number, in blocks of DUE_PER_SWEEP (1,000): each of the first seven blocks is
 * due for one sweep; the rest are healthy (active, or past due for only 3 days) and must be left alone.
 */
async function seed(client: postgres.Sql) {
  const now = NOW.toISOString();
  const B = DUE_PER_SWEEP; // one block of users per sweep
  await client.unsafe(
    `
    insert into users (id, name, email)
    select 'u' || g, 'User ' || g, 'u' || g || '@bench.test' from generate_series(1, ${SUBSCRIPTIONS + DUE_PER_SWEEP}) g;

    insert into kiloclaw_subscriptions
      (user_id, status, plan, trial_started_at, trial_ends_at, past_due_since, suspended_at, destruction_deadline)
    select 'u' || g,
      case when g <= ${B} then 'trialing'          -- 1 trial ends tomorrow
           when g <= ${2 * B} then 'canceled'          -- 2 canceled, earlybird ends in 3 days (warn, keep)
           when g <= ${3 * B} then 'trialing'          -- 3 trial ended yesterday
           when g <= ${4 * B} then 'canceled'          -- 5 canceled
           when g <= ${5 * B} then 'past_due'          -- 6 past due for 20 days
           when g <= ${6 * B} then 'canceled'          -- 7 suspended 6 days ago
           when g <= ${7 * B} then 'unpaid'            -- 8 suspended 9 days ago
           when g <= ${12 * B} then 'past_due'         -- healthy: past due for 3 days
           else 'active' end,
      case when g <= ${B} or (g > ${2 * B} and g <= ${3 * B}) then null else 'standard' end,
      case when g <= ${B} then $1::timestamptz - interval '6 days'
           when g > ${2 * B} and g <= ${3 * B} then $1::timestamptz - interval '8 days' end,
      case when g <= ${B} then $1::timestamptz + interval '1 day'
           when g > ${2 * B} and g <= ${3 * B} then $1::timestamptz - interval '1 day' end,
      case when g > ${4 * B} and g <= ${5 * B} then $1::timestamptz - interval '20 days'
           when g > ${7 * B} and g <= ${12 * B} then $1::timestamptz - interval '3 days' end,
      case when g > ${5 * B} and g <= ${6 * B} then $1::timestamptz - interval '6 days'
           when g > ${6 * B} and g <= ${7 * B} then $1::timestamptz - interval '9 days' end,
      case when g > ${5 * B} and g <= ${6 * B} then $1::timestamptz + interval '1 day'
           when g > ${6 * B} and g <= ${7 * B} then $1::timestamptz - interval '2 days' end
    from generate_series(1, ${SUBSCRIPTIONS}) g;

    insert into kiloclaw_earlybird_purchases (user_id, stripe_checkout_session_id, purchased_at, expires_at)
    select 'u' || g, 'cs_' || g, $1::timestamptz - interval '90 days', $1::timestamptz + interval '3 days'  -- 2: ends in 3 days
    from generate_series(${B + 1}, ${2 * B}) g union all
    select 'u' || g, 'cs_' || g, $1::timestamptz - interval '90 days', $1::timestamptz - interval '1 day'   -- 4: ended yesterday
    from generate_series(${SUBSCRIPTIONS + 1}, ${SUBSCRIPTIONS + DUE_PER_SWEEP}) g;

    -- the suspended users were told when they were suspended
    insert into kiloclaw_email_log (user_id, email_type, sent_at)
    select user_id, 'subscription_expired', suspended_at from kiloclaw_subscriptions where suspended_at is not null;
  `.replaceAll('$1', `'${now}'`),
  );
  await client.unsafe('vacuum analyze');
}

// ------------------------------------------------------------------ the naive baseline
type Row = {
  userId: string;
  email: string;
  name: string;
  status: string;
  plan: string | null;
  trialEndsAt: Date | null;
  pastDueSince: Date | null;
  suspendedAt: Date | null;
  destructionDeadline: Date | null;
};

async function naiveRun(db: Db, mailer: Mailer, actions: ReturnType<typeof recordingInstanceActions>) {
  const s = DEFAULT_LIFECYCLE_SETTINGS;
  const now = NOW;
  const selectAll = async () => {
    const subs = (await db.execute(sql`
      select s.user_id as "userId", u.email, u.name, s.status, s.plan, s.trial_ends_at as "trialEndsAt", s.past_due_since as "pastDueSince",
             s.suspended_at as "suspendedAt", s.destruction_deadline as "destructionDeadline"
      from kiloclaw_subscriptions s join users u on u.id = s.user_id`)) as unknown as Row[];
    const eb = (await db.execute(sql`
      select e.user_id as "userId", u.email, u.name, max(e.expires_at) as "expiresAt"
      from kiloclaw_earlybird_purchases e join users u on u.id = e.user_id group by e.user_id, u.email, u.name`)) as unknown as Array<{
      userId: string;
      email: string;
      name: string;
      expiresAt: string;
    }>;
    const d = (v: unknown) => (v == null ? null : new Date(v as string));
    return {
      subs: subs.map((r) => ({
        ...r,
        trialEndsAt: d(r.trialEndsAt),
        pastDueSince: d(r.pastDueSince),
        suspendedAt: d(r.suspendedAt),
        destructionDeadline: d(r.destructionDeadline),
      })),
      earlybird: new Map(eb.map((e) => [e.userId, { ...e, expiresAt: new Date(e.expiresAt) }])),
    };
  };
  const ms = (days: number) => days * DAY_MS;
  const deadline = new Date(now.getTime() + ms(s.destructionAfterDays));
  const sendOnce = async (
    userId: string,
    type: EmailType,
    to: { email: string; name: string },
    dates: Record<string, Date | null>,
  ) => {
    const claimed = await db.execute(
      sql`insert into kiloclaw_email_log (user_id, email_type, sent_at)
        values (${userId}, ${type}, ${now.toISOString()}::timestamptz) on conflict do nothing returning user_id`,
    );
    if (claimed.length === 0) return;
    await mailer.send(renderEmail(EMAIL_TEMPLATES[type], { ...to, ...dates, appUrl: 'http://bench.test' }));
  };
  const suspend = async (userId: string) =>
    db.execute(
      sql`update kiloclaw_subscriptions
        set suspended_at = ${now.toISOString()}::timestamptz, destruction_deadline = ${deadline.toISOString()}::timestamptz
        where user_id = ${userId}`,
    );
  const ebValid = (eb: Map<string, { expiresAt: Date }>, id: string) => (eb.get(id)?.expiresAt ?? new Date(0)) > now;

  // 1 trial warning
  let { subs, earlybird } = await selectAll();
  for (const r of subs) {
    if (
      r.status === 'trialing' &&
      !r.suspendedAt &&
      r.trialEndsAt &&
      r.trialEndsAt > now &&
      r.trialEndsAt.getTime() <= now.getTime() + ms(s.trialWarningDays)
    ) {
      await sendOnce(r.userId, 'trial_ending', r, { trialEndsAt: r.trialEndsAt });
    }
  }
  // 2 earlybird warning
  ({ subs, earlybird } = await selectAll());
  const subBy = new Map(subs.map((r) => [r.userId, r]));
  for (const e of earlybird.values()) {
    const sub = subBy.get(e.userId);
    if (
      e.expiresAt > now &&
      e.expiresAt.getTime() <= now.getTime() + ms(s.earlybirdWarningDays) &&
      !sub?.suspendedAt &&
      sub?.status !== 'active' &&
      sub?.status !== 'past_due'
    ) {
      await sendOnce(e.userId, 'earlybird_ending', e, { earlybirdExpiresAt: e.expiresAt });
    }
  }
  // 3 trial expiry
  ({ subs, earlybird } = await selectAll());
  for (const r of subs) {
    if (
      r.status === 'trialing' &&
      !r.suspendedAt &&
      r.trialEndsAt &&
      r.trialEndsAt <= now &&
      !ebValid(earlybird, r.userId)
    ) {
      await suspend(r.userId);
      await actions.stop(r.userId);
      await sendOnce(r.userId, 'trial_expired', r, { trialEndsAt: r.trialEndsAt, destructionDeadline: deadline });
    }
  }
  // 4 earlybird expiry (users without a subscription row)
  ({ subs, earlybird } = await selectAll());
  const hasRow = new Set(subs.map((r) => r.userId));
  for (const e of earlybird.values()) {
    if (!hasRow.has(e.userId) && e.expiresAt <= now) {
      await db.execute(
        sql`insert into kiloclaw_subscriptions (user_id, status, suspended_at, destruction_deadline)
          values (${e.userId}, 'canceled', ${now.toISOString()}::timestamptz, ${deadline.toISOString()}::timestamptz)
          on conflict do nothing`,
      );
      await actions.stop(e.userId);
      await sendOnce(e.userId, 'earlybird_expired', e, {
        earlybirdExpiresAt: e.expiresAt,
        destructionDeadline: deadline,
      });
    }
  }
  // 5 subscription expiry
  ({ subs, earlybird } = await selectAll());
  for (const r of subs) {
    if ((r.status === 'canceled' || r.status === 'unpaid') && !r.suspendedAt && !ebValid(earlybird, r.userId)) {
      await suspend(r.userId);
      await actions.stop(r.userId);
      await sendOnce(r.userId, 'subscription_expired', r, { suspendedAt: now, destructionDeadline: deadline });
    }
  }
  // 6 past-due cleanup
  ({ subs, earlybird } = await selectAll());
  for (const r of subs) {
    if (
      r.status === 'past_due' &&
      !r.suspendedAt &&
      r.pastDueSince &&
      r.pastDueSince.getTime() < now.getTime() - ms(s.pastDueGraceDays) &&
      !ebValid(earlybird, r.userId)
    ) {
      await suspend(r.userId);
      await actions.stop(r.userId);
      await sendOnce(r.userId, 'past_due_suspended', r, { suspendedAt: now, destructionDeadline: deadline });
    }
  }
  // 7 destruction warning
  ({ subs } = await selectAll());
  for (const r of subs) {
    if (
      r.suspendedAt &&
      r.suspendedAt.getTime() <= now.getTime() - ms(s.destructionWarningDays) &&
      r.destructionDeadline &&
      r.destructionDeadline > now
    ) {
      await sendOnce(r.userId, 'destruction_warning', r, {
        suspendedAt: r.suspendedAt,
        destructionDeadline: r.destructionDeadline,
      });
    }
  }
  // 8 destruction
  ({ subs } = await selectAll());
  for (const r of subs) {
    if (r.suspendedAt && r.destructionDeadline && r.destructionDeadline <= now) {
      await db.execute(sql`update kiloclaw_subscriptions set destruction_deadline = null where user_id = ${r.userId}`);
      await actions.destroy(r.userId);
      await sendOnce(r.userId, 'instance_destroyed', r, { suspendedAt: r.suspendedAt });
    }
  }
}

// ------------------------------------------------------------------ main
async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-bench-cron-'));
  const pg = await startEmbeddedPostgres({ dir, persistent: false });
  try {
    const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
    await admin.unsafe('create database lifecycle');
    await admin.unsafe('create database naive');
    await admin.end();

    const prepare = async (name: string) => {
      const h = countingDb(pg.url(name));
      await runMigrations(h.db);
      const t = performance.now();
      await seed(h.client);
      console.log(
        `seeded ${name}: ${SUBSCRIPTIONS.toLocaleString('en-US')} subscriptions + ${DUE_PER_SWEEP} ` +
          `earlybird-only users in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
      return h;
    };

    // --- the lifecycle run
    const ours = await prepare('lifecycle');
    const oursMail = sinkMailer();
    const oursActions = recordingInstanceActions();
    ours.counter.statements = 0;
    let t = performance.now();
    const summary = (await withAdvisoryLock(ours.db, LIFECYCLE_LOCK_KEY, logger, () =>
      runBillingLifecycle({
        db: ours.db,
        clock: fixedClock(NOW),
        mailer: oursMail,
        logger,
        instanceActions: oursActions,
        settings: DEFAULT_LIFECYCLE_SETTINGS,
        appUrl: 'http://bench.test',
      }),
    )) as LifecycleSummary;
    const seconds = (performance.now() - t) / 1000;
    const statements = ours.counter.statements;
    await ours.client.end();

    // --- the naive loop, same data
    const naive = await prepare('naive');
    const naiveMail = sinkMailer();
    const naiveActions = recordingInstanceActions();
    naive.counter.statements = 0;
    t = performance.now();
    await naiveRun(naive.db, naiveMail, naiveActions);
    const naiveSeconds = (performance.now() - t) / 1000;
    const naiveStatements = naive.counter.statements;
    await naive.client.end();

    const perSweep = Object.entries(summary.sweeps)
      .map(([k, v]) => `${k}=${v.actioned} (${v.ms} ms)`)
      .join(' ');
    console.log(
      `lifecycle: ${seconds.toFixed(2)} s, ${statements} SQL statements, ${oursMail.messages.length} ` +
        `emails, ${oursActions.calls.length} instance actions, errors ${summary.errorCount}`,
    );
    console.log(`  per sweep: ${perSweep}`);
    console.log(
      `naive:     ${naiveSeconds.toFixed(2)} s, ${naiveStatements} SQL statements, ` +
        `${naiveMail.messages.length} emails, ${naiveActions.calls.length} instance actions`,
    );
    if (oursMail.messages.length !== DUE_PER_SWEEP * 8 || naiveMail.messages.length !== oursMail.messages.length) {
      throw new Error(
        `the runs disagree: lifecycle sent ${oursMail.messages.length}, naive ${naiveMail.messages.length}, expected ${DUE_PER_SWEEP * 8}`,
      );
    }
    const ratio = naiveSeconds / seconds;
    console.log(`ratio (naive / lifecycle): ${ratio.toFixed(1)}×`);
    console.log(
      JSON.stringify({ seconds: round(seconds), statements, naive_seconds: round(naiveSeconds), ratio: round(ratio) }),
    );
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
