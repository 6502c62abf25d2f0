// The demo login seeded on the embedded default, so a new user can look around at once. Its address
// cannot receive mail, so it is marked confirmed here (a free trial and an instance need that). Its
// password is public (README, the start banner): in production it is never seeded, and one left by an
// earlier development boot on the same database is disabled.
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { authAccounts, authSessions, users } from '@/db/schema';
import type { Auth } from './auth';

export const DEMO_ACCOUNT = { email: 'demo@kiloclaw.local', password: 'kiloclaw-demo', name: 'Demo User' } as const;

export async function ensureDemoAccount(db: Db, auth: Auth): Promise<'created' | 'exists'> {
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, DEMO_ACCOUNT.email)).limit(1);
  if (!existing) await auth.api.signUpEmail({ body: { ...DEMO_ACCOUNT } });
  // also for a demo user seeded before verification existed
  await db.update(users).set({ emailVerified: true }).where(eq(users.email, DEMO_ACCOUNT.email));
  return existing ? 'exists' : 'created';
}

/**
 * Revokes the demo user's sessions and removes its password (its auth accounts), so nobody can sign in
 * as it; the user row and its billing history stay. Idempotent: run on every production start.
 */
export async function disableDemoAccount(db: Db): Promise<'disabled' | 'absent'> {
  const [demo] = await db.select({ id: users.id }).from(users).where(eq(users.email, DEMO_ACCOUNT.email)).limit(1);
  if (!demo) return 'absent';
  await db.transaction(async (tx) => {
    await tx.delete(authSessions).where(eq(authSessions.userId, demo.id));
    await tx.delete(authAccounts).where(eq(authAccounts.userId, demo.id));
  });
  return 'disabled';
}
