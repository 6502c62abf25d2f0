// The demo login seeded on the embedded default, so a new user can look around at once. Its address
// cannot receive mail, so it is marked confirmed here (a free trial and an instance need that).
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { users } from '@/db/schema';
import type { Auth } from './auth';

export const DEMO_ACCOUNT = { email: 'demo@kiloclaw.local', password: 'kiloclaw-demo', name: 'Demo User' } as const;

export async function ensureDemoAccount(db: Db, auth: Auth): Promise<'created' | 'exists'> {
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, DEMO_ACCOUNT.email)).limit(1);
  if (!existing) await auth.api.signUpEmail({ body: { ...DEMO_ACCOUNT } });
  // also for a demo user seeded before verification existed
  await db.update(users).set({ emailVerified: true }).where(eq(users.email, DEMO_ACCOUNT.email));
  return existing ? 'exists' : 'created';
}
