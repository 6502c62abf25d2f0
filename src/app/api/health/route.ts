import { errorMessage } from '@/platform/error-message';
import { getRuntime } from '@/server/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request) {
  try {
    return await (await getRuntime()).handlers.health(req);
  } catch (err) {
    return Response.json(
      { status: 'unavailable', reason: 'not_configured', detail: errorMessage(err) },
      { status: 503 },
    );
  }
}
