// Every dashboard page: signed-in people only, under one header with the navigation.
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { DashboardNav } from '../_components/nav';
import { currentUser } from '../_lib/session';

export const dynamic = 'force-dynamic';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) redirect('/sign-in');
  return (
    <>
      <DashboardNav email={user.email} />
      <main className="page">{children}</main>
    </>
  );
}
