import { getRuntime } from '@/server/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const handler = async (req: Request) => (await getRuntime()).handlers.trpc(req);

export { handler as GET, handler as POST };
