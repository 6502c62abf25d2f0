// POST /api/cron/billing-lifecycle over real HTTP: the bearer secret, and what a caller gets back.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingInstanceActions } from '@/billing/ports';
import { fixedClock } from '@/platform/clock';
import { startTestApp, TEST_SECRETS, type TestApp } from '../harness/app';
import { type MailWorld, NOW, startMailWorld, subOf, trial } from '../harness/cron-fixtures';
import { makeUser } from '../harness/users';

let w: MailWorld;
let app: TestApp;
const actions = recordingInstanceActions();
const URL_PATH = '/api/cron/billing-lifecycle';

beforeAll(async () => {
  w = await startMailWorld();
  app = await startTestApp({
    db: w.tdb.db,
    clock: fixedClock(NOW),
    extend: (d) => ({ ...d, mailer: w.mailer, instanceActions: actions }),
  });
});
afterAll(async () => {
  await app?.close();
  await w?.close();
});

const post = (headers: Record<string, string> = {}) => fetch(`${app.url}${URL_PATH}`, { method: 'POST', headers });

async function snapshot() {
  const [subs, log] = await Promise.all([
    w.tdb.db.execute(
      sql`select user_id, suspended_at, destruction_deadline from kiloclaw_subscriptions order by user_id`,
    ),
    w.tdb.db.execute(sql`select user_id, email_type from kiloclaw_email_log order by user_id, email_type`),
  ]);
  return JSON.stringify({ subs, log });
}

describe('without the right secret', () => {
  it.each([
    ['no Authorization header', {}],
    ['a wrong secret', { authorization: 'Bearer not-the-cron-secret-at-all' }],
    ['the secret with one character changed', { authorization: `Bearer ${TEST_SECRETS.CRON_SECRET.slice(0, -1)}X` }],
    ['the secret as a prefix of a longer token', { authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}extra` }],
    ['the secret without the Bearer scheme', { authorization: TEST_SECRETS.CRON_SECRET }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('answers 401 to %s and changes nothing', async (_name, headers) => {
    const due = await makeUser(w.tdb.db, { sub: trial(-1) });
    const before = await snapshot();
    const res = await post(headers);
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.error).toMatch(/Authorization: Bearer/);
    expect(JSON.stringify(body)).not.toContain(TEST_SECRETS.CRON_SECRET);
    expect(await snapshot()).toBe(before);
    expect((await subOf(w.tdb.db, due.id))?.suspendedAt).toBeNull();
    expect(w.sink.to(due.email)).toEqual([]);
    expect(actions.calls).toEqual([]);
  });

  it('answers 405 to a method no scheduler uses (GET is Vercel Cron, POST everyone else)', async () => {
    const res = await fetch(`${app.url}${URL_PATH}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });
});

describe('with the secret', () => {
  it('runs the sweeps and answers a JSON summary of counts per sweep', async () => {
    const res = await post({ authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.json();
    // every user the 401 cases left due is now suspended, stopped and told
    expect(body).toMatchObject({
      skipped: false,
      ok: true,
      errorCount: 0,
      errors: [],
      emails: { sent: 6, skipped: 0, failed: 0 },
    });
    expect(Object.keys(body.sweeps)).toEqual([
      'trial_warning',
      'earlybird_warning',
      'trial_expiry',
      'earlybird_expiry',
      'subscription_expiry',
      'past_due_cleanup',
      'destruction_warning',
      'destruction',
    ]);
    expect(body.sweeps.trial_expiry).toMatchObject({
      actioned: 6,
      emails: { sent: 6, skipped: 0, failed: 0 },
      errors: 0,
    });
    expect(typeof body.durationMs).toBe('number');
    expect(body.startedAt).toBe(NOW.toISOString());
    expect(actions.calls.map((c) => c.action)).toEqual(Array(6).fill('stop'));
  });
});
