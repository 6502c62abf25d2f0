import { redirect } from 'next/navigation';
import { getRuntime } from '@/server/runtime';
import { VerifyPanel } from '../_components/verify-panel';
import { currentUser } from '../_lib/session';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Confirm your email · KiloClaw' };

/** Where a new account is sent after sign-up, and where the confirmation link lands (with ?error= when it failed). */
export default async function Page({ searchParams }: { searchParams: Promise<{ error?: string }> }) {
  const user = await currentUser();
  if (!user) redirect('/sign-in');
  if (user.emailVerified) redirect('/billing');
  const { error } = await searchParams;
  const { deps } = await getRuntime();
  return (
    <main className="auth-page">
      <VerifyPanel email={user.email} linkFailed={Boolean(error)} devMail={deps.devOutbox !== null} />
    </main>
  );
}
