import { errorMessage } from '@/platform/error-message';
import { getRuntime } from '@/server/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request) {
  try {
    return await (await getRuntime()).handlers.health(req);
  } catch (err) {
    // the configuration problem names variables and values: it goes to the log, not to the public
    console.error(`health: the app could not start: ${errorMessage(err)}`);
    return Response.json({ status: 'unavailable', reason: 'not_configured' }, { status: 503 });
  }
}
