'use client';
// What both pairing lists share: the approve action, the list's frame (heading, approve news, loading,
// error and empty states) and one request's row (age, expiry, Approve). Each list keeps its own words,
// calls and row contents.
import { type QueryKey, type UseQueryResult, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { formatAge, formatExpiry } from '../../_lib/time';
import { ActionButton, useAction } from '../action';
import { ErrorNotice } from '../error-notice';
import { Notice } from '../notice';

/** Approve answers `{success, message}`; a refusal is shown as an error in its own words. */
type ApproveAnswer = { success: boolean; message: string };

/** Who was approved, when the click happened, and how long until the list no longer showed them. */
type Approval = { who: string; clickedAt: number; ms?: number };

/**
 * One list's Approve action. After approving it reads the list at once (not a long-poll: after a
 * refusal nothing changes and it would wait), so the approval is timed until the list no longer shows it.
 * `keyOf` names a request: the one being approved shows as busy.
 */
export function useApprove<R>({
  approve,
  queryKey,
  readList,
  keyOf,
}: {
  approve: (r: R) => Promise<ApproveAnswer>;
  queryKey: QueryKey;
  readList: () => Promise<unknown>;
  keyOf: (r: R) => string;
}) {
  const [approved, setApproved] = useState<Approval | null>(null);
  const qc = useQueryClient();
  const m = useAction(
    async (r: R) => {
      const out = await approve(r);
      await qc.cancelQueries({ queryKey });
      qc.setQueryData(queryKey, await readList());
      return out;
    },
    {
      onDone: () => setApproved((a) => (a && a.ms === undefined ? { ...a, ms: performance.now() - a.clickedAt } : a)),
    },
  );
  return {
    m,
    approved,
    /** Approves `r`; `who` names it in the news. */
    start: (r: R, who: string) => {
      setApproved({ who, clickedAt: performance.now() });
      m.mutate(r);
    },
    busy: (r: R) => m.isPending && m.variables !== undefined && keyOf(m.variables) === keyOf(r),
  };
}

type Approver<R> = ReturnType<typeof useApprove<R>>;

/** Newest first; a request of unknown age goes last. */
export function newestFirst<R>(requests: readonly R[], at: (r: R) => Date | null): R[] {
  return [...requests].sort((a, b) => (at(b)?.getTime() ?? 0) - (at(a)?.getTime() ?? 0));
}

/** One pairing list: its heading, the news of the last approval, and its rows (or why there are none). */
export function RequestList<R>({
  titleId,
  title,
  query,
  approver,
  approvedThen,
  what,
  emptyText,
  listLabel,
  children,
}: {
  titleId: string;
  title: string;
  query: UseQueryResult<{ requests: readonly unknown[]; lastUpdated: string | null; source: string }>;
  approver: Approver<R>;
  /** what the approved one can do now, after "Approved <who> in 0.4 s." */
  approvedThen: string;
  what: string;
  emptyText: string;
  listLabel: string;
  children: ReactNode;
}) {
  const a = approver.approved;
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <ApproveOutcome m={approver.m} okText={a ? `Approved ${a.who}${tookText(a.ms)}. ${approvedThen}` : 'Approved.'} />
      <ListStates
        query={query}
        count={query.data?.requests.length ?? 0}
        what={what}
        emptyText={emptyText}
        checking={query.data?.lastUpdated === null && query.data.source !== 'not_running'}
      >
        <ul className="request-list" aria-label={listLabel}>
          {children}
        </ul>
      </ListStates>
    </section>
  );
}

/** One request: what asks (title, and `meta` before its age), and Approve, off once it has expired. */
export function RequestRow<R>({
  request,
  approver,
  who,
  ariaLabel,
  testId,
  data,
  title,
  meta,
  at,
  ttlMs,
  now,
}: {
  request: R;
  approver: Approver<R>;
  /** names the request in the approve news */
  who: string;
  ariaLabel: string;
  testId: string;
  data: Record<`data-${string}`, string>;
  title: ReactNode;
  meta?: ReactNode;
  at: Date | null;
  ttlMs: number;
  now: Date;
}) {
  const expired = at !== null && at.getTime() + ttlMs <= now.getTime();
  return (
    <li className="request" data-testid={testId} {...data}>
      <div className="request-main">
        <p className="request-title">{title}</p>
        <p className="request-meta">
          {meta}
          <AgeAndExpiry at={at} ttlMs={ttlMs} now={now} />
        </p>
      </div>
      <ActionButton
        small
        onClick={() => approver.start(request, who)}
        pending={approver.busy(request)}
        pendingLabel="Approving…"
        disabled={expired || approver.m.isPending}
        ariaLabel={ariaLabel}
      >
        Approve
      </ActionButton>
    </li>
  );
}

function AgeAndExpiry({ at, ttlMs, now }: { at: Date | null; ttlMs: number; now: Date }) {
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
function ListStates({
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

function ApproveOutcome({
  m,
  okText,
}: {
  m: { isError: boolean; isSuccess: boolean; error: unknown; data?: ApproveAnswer };
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
function tookText(ms: number | undefined): string {
  return ms === undefined ? '' : ` in ${(ms / 1000).toFixed(1)} s`;
}

export function titleCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
