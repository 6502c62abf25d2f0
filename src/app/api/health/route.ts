import { getRuntime } from '@/server/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request) {
  try {
    return await (await getRuntime()).handlers.health(req);
  } catch (err) {
    return Response.json(
      { status: 'unavailable', reason: 'not_configured', detail: (err as Error).message },
      { status: 503 },
    );
  }
}
