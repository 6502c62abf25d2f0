import { getRuntime } from '@/server/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
// the run may take a while on a large backlog; the advisory lock keeps it single
export const maxDuration = 300;

export async function POST(req: Request) {
  return (await getRuntime()).handlers.cronBillingLifecycle(req);
}

/** Vercel Cron calls with GET (vercel.json); the handler checks the same bearer secret. */
export const GET = POST;
