// The dashboard's one tRPC client: batched HTTP to /api/trpc with the server's superjson transformer.
// Cookies travel with same-origin fetches, so the session reaches the server without extra headers.
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import { MAX_BATCH_SIZE } from '@/server/batch-size';
import type { AppRouter } from '@/server/routers/app';

export const trpc = createTRPCClient<AppRouter>({
  // the server refuses bigger batches; the link splits them instead
  links: [httpBatchLink({ url: '/api/trpc', transformer: superjson, maxItems: MAX_BATCH_SIZE })],
});

/** The kiloclaw procedures, the only ones the dashboard calls. */
export const api = trpc.kiloclaw;
