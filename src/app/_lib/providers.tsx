'use client';
// React Query for the dashboard. Errors a person must see are rendered by each panel, so queries do
// not retry access denials or bad input (retrying those only delays the message).
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { isRetryable } from './errors';

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            retry: (count, err) => count < 2 && isRetryable(err),
            refetchOnWindowFocus: true,
            staleTime: 2_000,
          },
          mutations: { retry: false },
        },
      }),
  );
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
