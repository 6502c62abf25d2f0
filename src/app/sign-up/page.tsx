import { redirect } from 'next/navigation';
import { AuthForm } from '../_components/auth-form';
import { currentUser } from '../_lib/session';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Create your account · KiloClaw' };

export default async function Page() {
  if (await currentUser()) redirect('/dashboard');
  return (
    <main className="auth-page">
      <AuthForm mode="sign-up" />
    </main>
  );
}
