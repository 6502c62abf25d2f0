// Server-side: who is signed in, for page-level redirects. Pages stay thin; the rule lives in auth.
import { headers } from 'next/headers';
import { type SessionUser, sessionUser } from '@/server/auth';
import { getRuntime } from '@/server/runtime';

export async function currentUser(): Promise<SessionUser | null> {
  const { deps } = await getRuntime();
  return sessionUser(deps.auth, await headers());
}
