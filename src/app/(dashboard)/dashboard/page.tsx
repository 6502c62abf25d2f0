// /dashboard picks the page that matters now: billing until the user has access, then the instance.
import { redirect } from 'next/navigation';
import { getBillingStatus } from '@/billing/billing-status';
import { getRuntime } from '@/server/runtime';
import { currentUser } from '../../_lib/session';

export const dynamic = 'force-dynamic';

export default async function DashboardHome() {
  const user = await currentUser();
  if (!user) redirect('/sign-in');
  const { deps } = await getRuntime();
  const status = await getBillingStatus(deps.db, user.id, deps.clock.now(), deps.config);
  redirect(status.access.allowed ? '/instance' : '/billing');
}
