'use client';
// A page whose data has not come yet: its header over a spinner, or over the error with a retry.
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorNotice } from './error-notice';

export function LoadingPage({
  titleId,
  header,
  query,
  loadingText = 'Loading…',
  errorTitle,
}: {
  /** the id of the header's h1, which names the page's section */
  titleId: string;
  header: ReactNode;
  query: UseQueryResult<unknown>;
  loadingText?: string;
  errorTitle: string;
}) {
  return (
    <section aria-labelledby={titleId}>
      {header}
      {query.isError ? (
        <ErrorNotice error={query.error} title={errorTitle} onRetry={() => void query.refetch()} />
      ) : (
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" /> {loadingText}
        </p>
      )}
    </section>
  );
}
