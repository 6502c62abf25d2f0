// bench:cron — the billing lifecycle over 100,000 and over 1,000,000 subscriptions, 1% of them due for
// each of the eight sweeps (8,000 and 80,000 users to act on and mail), against its own embedded
// PostgreSQL. The rest of each dataset has a history (long-churned rows, spent earlybird purchases)
// that no sweep may need to read.
//   lifecycle: the real run (advisory lock + set-based, batched sweeps), mail to an in-process sink
//   naive:     the obvious first design on an equal copy of the 100k dataset — per sweep, select every
//              row, decide in JS, then one UPDATE (bare `where user_id = ?`) + one log insert per due user
// Prints both times, the SQL statements each issued, ratio = naive_seconds / seconds, the 1M run's time
// and statements, and how much the process's peak RSS grew from the 100k run to the 1M run.
// `-- --explain` instead seeds 1M rows and prints, per sweep, what auto_explain saw each statement read.
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
import { type LifecycleSummary, runBillingLifecycle, SWEEPS } from '@/billing/lifecycle/run-lifecycle';
import type { SweepDeps } from '@/billing/lifecycle/sweep-kit';
import { type InstanceActions, recordingInstanceActions } from '@/billing/ports';
import type { Db } from '@/db/client';
import { startEmbeddedPostgres } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import type { EmailType } from '@/db/schema';
import * as schema from '@/db/schema';
import { DAY_MS, fixedClock } from '@/platform/clock';
import { createLogger } from '@/platform/logger';
import type { Mailer } from '@/platform/mailer';
import { AUTO_EXPLAIN_SESSION, describePlans, planCollector } from './cron-explain';
import { sized } from './lib';

const SUBSCRIPTIONS = sized(100_000, 2_000);
const DUE_PER_SWEEP = SUBSCRIPTIONS / 100; // 1%
const MILLION = sized(1_000_000, 10_000);
const NOW = new Date();
const logger = createLogger({ level: 'silent' });

/** A postgres.js client that counts every statement it sends. */
function countingDb(url: string, opts: { onnotice?: (n: postgres.Notice) => void; connection?: object } = {}) {
  const counter = { statements: 0 };
  const client = postgres(url, {
    max: 10,
    onnotice: opts.onnotice ?? (() => {}),
    debug: () => void counter.statements++,
    ...(opts.connection ? { connection: opts.connection as Record<string, string> } : {}),
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, client, counter };
}

/** The in-process mail sink: counts what it is given, like a relay that always accepts (keeping the
 *  messages would put 80,000 emails in this process's memory, which is not the lifecycle's). */
function sinkMailer(): Mailer & { messages: { length: number } } {
  const messages = { length: 0 };
  return { messages, send: async () => void messages.length++, close: async () => {} };
}

/** Instance actions that count calls, for the same reason. */
function countingInstanceActions(): InstanceActions & { calls: { length: number } } {
  const calls = { length: 0 };
  const count = async () => void calls.length++;
  const destroy = async () => {
    calls.length++;
    return true;
  };
  const none = async () => new Set<string>();
  return { calls, stop: count, markForDestruction: async () => {}, destroy, withInstance: none, resume: count };
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/**
 * `n` subscription rows (+ n/100 earlybird-only users), built by generate_series in a few statements.
 * Users by number, in blocks of d = n/100: each of the first seven blocks is due for one sweep (the
 * eighth sweep's block is the earlybird-only users after n). The rest must be left alone, and is shaped
 * like a service with a history: past due for only 3 days (5 blocks), churned long ago — suspended 60
 * days ago, instance destroyed (20 blocks), subscribers whose earlybird ran out a month ago (10
 * blocks), and active subscribers.
 */
async function seed(client: postgres.Sql, n: number) {
  const d = n / 100;
  const b = (k: number) => k * d;
  const now = NOW.toISOString();
  const tables = ['users', 'kiloclaw_subscriptions', 'kiloclaw_earlybird_purchases', 'kiloclaw_email_log'];
  await withIndexesBuiltAfter(client, tables, () =>
    client.unsafe(
      `
    insert into users (id, name, email)
    select 'u' || g, 'User ' || g, 'u' || g || '@bench.test' from generate_series(1, ${n + d}) g;

    insert into kiloclaw_subscriptions (user_id, status, plan, trial_started_at, trial_ends_at, past_due_since, suspended_at, destruction_deadline)
    select 'u' || g,
      case when g <= ${b(1)} then 'trialing'          -- 1 trial ends tomorrow
           when g <= ${b(2)} then 'canceled'          -- 2 canceled, earlybird ends in 3 days (warn, keep)
           when g <= ${b(3)} then 'trialing'          -- 3 trial ended yesterday
           when g <= ${b(4)} then 'canceled'          -- 5 canceled
           when g <= ${b(5)} then 'past_due'          -- 6 past due for 20 days
           when g <= ${b(6)} then 'canceled'          -- 7 suspended 6 days ago
           when g <= ${b(7)} then 'unpaid'            -- 8 suspended 9 days ago
           when g <= ${b(12)} then 'past_due'         -- healthy: past due for 3 days
           when g <= ${b(32)} then 'canceled'         -- healthy: churned, destroyed long ago
           else 'active' end,
      case when g <= ${b(1)} or (g > ${b(2)} and g <= ${b(3)}) then null else 'standard' end,
      case when g <= ${b(1)} then $1::timestamptz - interval '6 days' when g > ${b(2)} and g <= ${b(3)} then $1::timestamptz - interval '8 days' end,
      case when g <= ${b(1)} then $1::timestamptz + interval '1 day' when g > ${b(2)} and g <= ${b(3)} then $1::timestamptz - interval '1 day' end,
      case when g > ${b(4)} and g <= ${b(5)} then $1::timestamptz - interval '20 days' when g > ${b(7)} and g <= ${b(12)} then $1::timestamptz - interval '3 days' end,
      case when g > ${b(5)} and g <= ${b(6)} then $1::timestamptz - interval '6 days' when g > ${b(6)} and g <= ${b(7)} then $1::timestamptz - interval '9 days'
           when g > ${b(12)} and g <= ${b(32)} then $1::timestamptz - interval '60 days' end,
      case when g > ${b(5)} and g <= ${b(6)} then $1::timestamptz + interval '1 day' when g > ${b(6)} and g <= ${b(7)} then $1::timestamptz - interval '2 days' end
    from generate_series(1, ${n}) g;

    insert into kiloclaw_earlybird_purchases (user_id, stripe_checkout_session_id, purchased_at, expires_at, expiry_checked_at)
    select 'u' || g, 'cs_' || g, $1::timestamptz - interval '90 days', $1::timestamptz + interval '3 days', null   -- 2: ends in 3 days
    from generate_series(${b(1) + 1}, ${b(2)}) g union all
    select 'u' || g, 'cs_' || g, $1::timestamptz - interval '120 days', $1::timestamptz - interval '30 days',      -- healthy: ran out a
           $1::timestamptz - interval '30 days'                                                                   -- month ago, judged then
    from generate_series(${b(32) + 1}, ${b(42)}) g union all
    select 'u' || g, 'cs_' || g, $1::timestamptz - interval '90 days', $1::timestamptz - interval '1 day', null    -- 4: ended yesterday
    from generate_series(${n + 1}, ${n + d}) g;

    -- the suspended users were told when they were suspended
    insert into kiloclaw_email_log (user_id, email_type, sent_at)
    select user_id, 'subscription_expired', suspended_at from kiloclaw_subscriptions where suspended_at is not null;
  `.replaceAll('$1', `'${now}'`),
    ),
  );
  await client.unsafe(`vacuum analyze ${tables.join(', ')}`);
}

/**
 * A bulk load the way PostgreSQL prefers it: the tables' keys, indexes and foreign keys are dropped,
 * the rows inserted, then each index is built in one sort (a million index insertions one by one take
 * minutes on a busy machine). The definitions are read back from the catalog, so they are the
 * migrations' own.
 */
async function withIndexesBuiltAfter(client: postgres.Sql, tables: string[], load: () => Promise<unknown>) {
  const rels = `array[${tables.map((t) => `'${t}'::regclass`).join(', ')}]`;
  const constraints = await client.unsafe<{ tbl: string; name: string; type: string; def: string }[]>(`
    select conrelid::regclass::text as tbl, conname as name, contype as type, pg_get_constraintdef(oid) as def
    from pg_constraint
    where contype in ('p', 'u', 'f') and (conrelid = any(${rels}) or (contype = 'f' and confrelid = any(${rels})))`);
  const indexes = await client.unsafe<{ name: string; def: string }[]>(`
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
    from pg_index i
    where i.indrelid = any(${rels}) and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`);
  const keys = constraints.filter((c) => c.type !== 'f');
  const foreign = constraints.filter((c) => c.type === 'f');
  for (const c of [...foreign, ...keys]) await client.unsafe(`alter table ${c.tbl} drop constraint ${c.name}`);
  for (const i of indexes) await client.unsafe(`drop index ${i.name}`);
  await load();
  await client.unsafe(`set maintenance_work_mem = '256MB'`);
  for (const c of keys) await client.unsafe(`alter table ${c.tbl} add constraint ${c.name} ${c.def}`);
  for (const i of indexes) await client.unsafe(i.def);
  for (const c of foreign) await client.unsafe(`alter table ${c.tbl} add constraint ${c.name} ${c.def}`);
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
const count = (n: number) => n.toLocaleString('en-US');

function deps(db: Db, mailer: Mailer, instanceActions: InstanceActions): SweepDeps {
  const settings = DEFAULT_LIFECYCLE_SETTINGS;
  return { db, clock: fixedClock(NOW), mailer, logger, instanceActions, settings, appUrl: 'http://bench.test' };
}

/** The process's peak RSS while `fn` runs, sampled every 10 ms. */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakMb: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/** One lifecycle run (lock included) on database `name`, which holds `n` subscriptions. */
async function lifecycleRun(url: string, n: number) {
  const h = countingDb(url);
  const mail = sinkMailer();
  const actions = countingInstanceActions();
  const t = performance.now();
  const { result, peakMb } = await peakRss(
    async () =>
      (await withAdvisoryLock(h.db, LIFECYCLE_LOCK_KEY, logger, () =>
        runBillingLifecycle(deps(h.db, mail, actions)),
      )) as LifecycleSummary,
  );
  const seconds = (performance.now() - t) / 1000;
  const statements = h.counter.statements;
  await h.client.end();
  const perSweep = Object.entries(result.sweeps)
    .map(([k, v]) => `${k}=${v.actioned} (${v.ms} ms)`)
    .join(' ');
  console.log(
    `lifecycle ${count(n)}: ${seconds.toFixed(2)} s, ${statements} SQL statements, ${mail.messages.length} emails, ${actions.calls.length} instance actions, errors ${result.errorCount}, peak RSS ${peakMb.toFixed(0)} MB`,
  );
  console.log(`  per sweep: ${perSweep}`);
  if (mail.messages.length !== (n / 100) * 8 || result.errorCount > 0) {
    throw new Error(`lifecycle ${count(n)} sent ${mail.messages.length} emails, expected ${(n / 100) * 8}`);
  }
  return { seconds, statements, peakMb };
}

async function createDatabase(pg: { url: (db?: string) => string }, name: string, template = 'template1') {
  const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${template}`);
  await admin.end();
}

async function createSeeded(pg: { url: (db?: string) => string }, name: string, n: number) {
  // one connection: the seed's session settings must apply to every statement of it
  const client = postgres(pg.url(name), { max: 1, onnotice: () => {} });
  await runMigrations(drizzle(client, { schema }) as unknown as Db);
  const t = performance.now();
  await seed(client, n);
  await client.end();
  console.log(
    `seeded ${name}: ${count(n)} subscriptions + ${count(n / 100)} earlybird-only users in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
}

/** --explain: every sweep over 1M rows, one at a time, with the plans of its statements summed. */
async function explainSweeps(pg: { url: (db?: string) => string }) {
  await createDatabase(pg, 'million');
  await createSeeded(pg, 'million', MILLION);
  const plans = planCollector();
  const h = countingDb(pg.url('million'), { onnotice: plans.onNotice, connection: AUTO_EXPLAIN_SESSION });
  const input = { deps: deps(h.db, sinkMailer(), countingInstanceActions()), now: NOW };
  const out: Record<string, { actioned: number; statements: number; buffers: number; rows_read: number }> = {};
  for (const [name, sweep] of SWEEPS) {
    const t = performance.now();
    const report = await sweep(input);
    const wallMs = performance.now() - t;
    const p = plans.take();
    console.log(`${describePlans(name, report.actioned, p)}\n    (${wallMs.toFixed(0)} ms in all)`);
    if (process.env.CRON_EXPLAIN_DUMP === name) console.log(p.raw.join('\n'));
    const rowsRead = [...p.scans.values()].reduce((a, b) => a + b, 0);
    out[name] = { actioned: report.actioned, statements: p.statements, buffers: p.buffers, rows_read: rowsRead };
  }
  await h.client.end();
  console.log(`load average: ${loadAverage()}`);
  console.log(JSON.stringify(out));
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-bench-cron-'));
  const pg = await startEmbeddedPostgres({ dir, persistent: false });
  try {
    console.log(`load average at start: ${loadAverage()}`);
    if (process.argv.includes('--explain')) return await explainSweeps(pg);

    // both datasets are built before anything is timed, side by side (one backend each); the naive
    // loop gets an identical copy of the 100k one (a template copy is a file copy)
    await createDatabase(pg, 'lifecycle');
    await createDatabase(pg, 'million');
    await Promise.all([createSeeded(pg, 'lifecycle', SUBSCRIPTIONS), createSeeded(pg, 'million', MILLION)]);
    await createDatabase(pg, 'naive', 'lifecycle');

    // --- the lifecycle run at 100k, then at 1M (before the naive loop, whose select-everything
    //     design would set this process's peak RSS)
    const small = await lifecycleRun(pg.url('lifecycle'), SUBSCRIPTIONS);
    const large = await lifecycleRun(pg.url('million'), MILLION);

    // --- the naive loop, same data as the 100k run
    const naive = countingDb(pg.url('naive'));
    const naiveMail = sinkMailer();
    const naiveActions = recordingInstanceActions();
    const t = performance.now();
    await naiveRun(naive.db, naiveMail, naiveActions);
    const naiveSeconds = (performance.now() - t) / 1000;
    const naiveStatements = naive.counter.statements;
    await naive.client.end();
    console.log(
      `naive ${count(SUBSCRIPTIONS)}: ${naiveSeconds.toFixed(2)} s, ${naiveStatements} SQL statements, ${naiveMail.messages.length} emails, ${naiveActions.calls.length} instance actions`,
    );
    if (naiveMail.messages.length !== DUE_PER_SWEEP * 8) {
      throw new Error(`the runs disagree: naive sent ${naiveMail.messages.length}, expected ${DUE_PER_SWEEP * 8}`);
    }

    const ratio = naiveSeconds / small.seconds;
    const rssGrowth = large.peakMb - small.peakMb;
    console.log(`ratio (naive / lifecycle at ${count(SUBSCRIPTIONS)}): ${ratio.toFixed(1)}×`);
    console.log(
      `${count(MILLION)}: ${large.seconds.toFixed(2)} s, ${large.statements} statements (${count(SUBSCRIPTIONS)}: ` +
        `${small.statements}); peak RSS grew ${rssGrowth.toFixed(0)} MB from ${count(SUBSCRIPTIONS)} to ${count(MILLION)}`,
    );
    console.log(`load average at end: ${loadAverage()}`);
    console.log(
      JSON.stringify({
        seconds: round(small.seconds),
        statements: small.statements,
        naive_seconds: round(naiveSeconds),
        ratio: round(ratio),
        seconds_1m: round(large.seconds),
        statements_1m: large.statements,
        rss_growth_mb: round(rssGrowth),
      }),
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
