// The suspension email names what actually lapsed: a trial user who later bought earlybird is told
// their earlybird ended (not their months-old trial), and the dashboard's reason agrees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideAccess } from '@/billing/access';
import { runBillingLifecycle } from '@/billing/lifecycle/run-lifecycle';
import {
  at,
  lifecycleDeps,
  loggedEmails,
  type MailWorld,
  NOW,
  startMailWorld,
  subOf,
  trial,
} from '../harness/cron-fixtures';
import { makeUser } from '../harness/users';

let w: MailWorld;
beforeAll(async () => {
  w = await startMailWorld();
});
afterAll(async () => {
  await w?.close();
});

const subjectsTo = (email: string) => w.sink.received.filter((m) => m.to.includes(email)).map((m) => m.subject);

describe('suspension emails name the actual reason', () => {
  it('a trial user whose later earlybird lapsed gets earlybird_expired, not trial_expired', async () => {
    const trialThenEarlybird = await makeUser(w.tdb.db, { sub: trial(-90), earlybirdDays: -1 });
    const trialOnly = await makeUser(w.tdb.db, { sub: trial(-1) });
    await runBillingLifecycle(lifecycleDeps({ db: w.tdb.db, mailer: w.mailer }));

    expect((await subOf(w.tdb.db, trialThenEarlybird.id))?.suspendedAt).toEqual(NOW);
    expect(await loggedEmails(w.tdb.db, trialThenEarlybird.id)).toEqual(['earlybird_expired']);
    expect(subjectsTo(trialThenEarlybird.email).join('\n')).toMatch(/earlybird/i);
    expect(subjectsTo(trialThenEarlybird.email).join('\n')).not.toMatch(/trial/i);

    expect(await loggedEmails(w.tdb.db, trialOnly.id)).toEqual(['trial_expired']);
  });

  it('the access reason agrees: earlybird_expired when the earlybird outlasted the trial', () => {
    const sub = { status: 'trialing' as const, trialEndsAt: at(-90), suspendedAt: null };
    expect(decideAccess({ subscription: sub, earlybirdExpiresAt: at(-1) }, NOW)).toEqual({
      allowed: false,
      reason: 'earlybird_expired',
    });
    expect(decideAccess({ subscription: sub, earlybirdExpiresAt: null }, NOW)).toEqual({
      allowed: false,
      reason: 'trial_expired',
    });
    // an earlybird that ended before the trial did is not what lapsed last
    expect(decideAccess({ subscription: { ...sub, trialEndsAt: at(-1) }, earlybirdExpiresAt: at(-5) }, NOW)).toEqual({
      allowed: false,
      reason: 'trial_expired',
    });
  });
});
