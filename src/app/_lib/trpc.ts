// The dashboard's one tRPC client: batched HTTP to /api/trpc with the server's superjson transformer.
// Cookies travel with same-origin fetches, so the session reaches the server without extra headers.
import { createTRPCClient, httpBatchLink, httpLink, splitLink } from '@trpc/client';
import superjson from 'superjson';
import { MAX_BATCH_SIZE } from '@/server/batch-size';
import type { AppRouter } from '@/server/routers/app';

const trpc = createTRPCClient<AppRouter>({
  links: [
    // A long-poll (context.longPoll) travels alone: in a batch it would hold every other answer back.
    splitLink({
      condition: (op) => op.context.longPoll === true,
      true: httpLink({ url: '/api/trpc', transformer: superjson }),
      // the server refuses bigger batches; the link splits them instead
      false: httpBatchLink({ url: '/api/trpc', transformer: superjson, maxItems: MAX_BATCH_SIZE }),
    }),
  ],
});

/** The kiloclaw procedures, the only ones the dashboard calls. */
export const api = trpc.kiloclaw;
