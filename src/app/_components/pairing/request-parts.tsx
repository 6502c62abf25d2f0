'use client';
// Pieces shared by both pairing lists: the age/expiry line, the per-list states, the approve result.
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { formatAge, formatExpiry } from '../../_lib/time';
import { ErrorNotice } from '../error-notice';
import { Notice } from '../notice';

export function AgeAndExpiry({ at, ttlMs, now }: { at: Date | null; ttlMs: number; now: Date }) {
  if (!at) return <span className="muted">Age unknown</span>;
  const exp = formatExpiry(at, ttlMs, now);
  return (
    <span className="muted">
      Asked {formatAge(at, now)} ·{' '}
      <span className={exp.expired ? 'text-bad' : exp.soon ? 'text-warn' : undefined} data-testid="expiry">
        {exp.label}
      </span>
    </span>
  );
}

/** Loading, error and empty states of one list; renders `children` only when there is something to show. */
export function ListStates({
  query,
  count,
  emptyText,
  what,
  checking = false,
  children,
}: {
  query: UseQueryResult<unknown>;
  count: number;
  emptyText: string;
  what: string;
  /** The instance has not read this list yet (lastUpdated null): empty means "not known yet", not "none". */
  checking?: boolean;
  children: ReactNode;
}) {
  if (query.isPending) {
    return (
      <p className="loading" role="status">
        <span className="spinner" aria-hidden="true" /> Loading {what}…
      </p>
    );
  }
  if (query.isError)
    return <ErrorNotice error={query.error} title={`We could not load ${what}`} onRetry={() => void query.refetch()} />;
  if (count === 0 && checking) {
    return (
      <p className="loading" role="status" data-testid="checking">
        <span className="spinner" aria-hidden="true" /> Checking for {what}…
      </p>
    );
  }
  if (count === 0) return <p className="empty">{emptyText}</p>;
  return <>{children}</>;
}

/** Approve answers `{success, message}`; a refusal is shown as an error in its own words. */
export function ApproveOutcome({
  m,
  okText,
}: {
  m: { isError: boolean; isSuccess: boolean; error: unknown; data?: { success: boolean; message: string } };
  okText: string;
}) {
  if (m.isError) return <ErrorNotice error={m.error} />;
  if (!m.isSuccess || !m.data) return null;
  return m.data.success ? (
    <Notice tone="success">{okText}</Notice>
  ) : (
    <Notice tone="error">{m.data.message || 'That request could not be approved.'}</Notice>
  );
}

/** "in 0.4 s": how long an approval took from the click until the list no longer showed it. */
export function tookText(ms: number | undefined): string {
  return ms === undefined ? '' : ` in ${(ms / 1000).toFixed(1)} s`;
}

export function titleCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
