import { getRuntime } from '@/server/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const handler = async (req: Request) => (await getRuntime()).handlers.auth(req);

export { handler as GET, handler as POST };
