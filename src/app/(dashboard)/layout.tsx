// Every dashboard page: signed-in people only, under one header with the navigation, and a reminder
// while their email address is not confirmed.
import Link from 'next/link';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { DashboardNav } from '../_components/nav';
import { Notice } from '../_components/notice';
import { currentUser } from '../_lib/session';

export const dynamic = 'force-dynamic';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) redirect('/sign-in');
  return (
    <>
      <DashboardNav email={user.email} />
      <main className="page">
        {user.emailVerified ? null : (
          <Notice tone="warning" title="Confirm your email address">
            <p>
              A free trial and an instance need a confirmed address. We sent a link to {user.email}.{' '}
              <Link href="/verify">Send it again or change the address</Link>
            </p>
          </Notice>
        )}
        {children}
      </main>
    </>
  );
}
