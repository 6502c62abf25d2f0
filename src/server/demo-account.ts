// The demo login seeded on the embedded default, so a new user can look around at once.
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { users } from '@/db/schema';
import type { Auth } from './auth';

export const DEMO_ACCOUNT = { email: 'demo@kiloclaw.local', password: 'kiloclaw-demo', name: 'Demo User' } as const;

export async function ensureDemoAccount(db: Db, auth: Auth): Promise<'created' | 'exists'> {
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, DEMO_ACCOUNT.email)).limit(1);
  if (existing) return 'exists';
  await auth.api.signUpEmail({ body: { ...DEMO_ACCOUNT } });
  return 'created';
}
