import { getRuntime } from '@/server/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
// a pass checks up to a few hundred machines, each with a timeout
export const maxDuration = 300;

export async function POST(req: Request) {
  return (await getRuntime()).handlers.cronReconcileInstances(req);
}

/** Vercel Cron calls with GET (vercel.json); the handler checks the same bearer secret. */
export const GET = POST;
