'use client';
// Every button that changes something goes through useAction: it disables itself while working,
// says what it is doing, refreshes the affected data, and reports success or failure in words.
import { type QueryKey, type UseMutationResult, useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorNotice } from './error-notice';
import { Notice } from './notice';

export function useAction<TIn, TOut>(
  fn: (input: TIn) => Promise<TOut>,
  opts: { invalidate?: QueryKey[]; onDone?: (out: TOut) => void } = {},
): UseMutationResult<TOut, unknown, TIn> {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    // Refresh what the action changed before reporting it, so the news and the page agree.
    onSuccess: async (out) => {
      await Promise.all((opts.invalidate ?? []).map((queryKey) => qc.invalidateQueries({ queryKey })));
      opts.onDone?.(out);
    },
  });
}

/** An action that ends by sending the browser to the address it answers with (a checkout, the billing portal). */
export function useRedirect<TIn>(
  fn: (input: TIn) => Promise<{ url: string }>,
): UseMutationResult<{ url: string }, unknown, TIn> {
  return useAction(fn, { onDone: (r) => window.location.assign(r.url) });
}

type Variant = 'primary' | 'secondary' | 'danger';

export function ActionButton({
  onClick,
  pending,
  pendingLabel,
  children,
  variant = 'primary',
  disabled,
  small,
  ariaLabel,
}: {
  onClick: () => void;
  pending: boolean;
  pendingLabel: string;
  children: ReactNode;
  variant?: Variant;
  disabled?: boolean;
  small?: boolean;
  ariaLabel?: string;
}) {
  return (
    <button
      type="button"
      className={`btn btn-${variant}${small ? ' btn-small' : ''}`}
      onClick={onClick}
      disabled={pending || disabled}
      aria-busy={pending}
      aria-label={pending ? pendingLabel : ariaLabel}
    >
      {pending ? (
        <>
          <span className="spinner" aria-hidden="true" /> {pendingLabel}
        </>
      ) : (
        children
      )}
    </button>
  );
}

/** The outcome of one action: nothing while idle or working, then success or the error in words. */
export function ActionResult({
  m,
  success,
}: {
  m: { isError: boolean; isSuccess: boolean; error: unknown };
  success: string | null;
}) {
  if (m.isError) return <ErrorNotice error={m.error} />;
  if (m.isSuccess && success) return <Notice tone="success">{success}</Notice>;
  return null;
}

/** The button of a useRedirect action: still busy after success, until the browser has left; a failure is told below it. */
export function RedirectButton({
  m,
  onClick,
  pendingLabel,
  variant,
  children,
}: {
  m: { isPending: boolean; isSuccess: boolean; isError: boolean; error: unknown };
  onClick: () => void;
  pendingLabel: string;
  variant?: Variant;
  children: ReactNode;
}) {
  return (
    <>
      <ActionButton
        variant={variant}
        onClick={onClick}
        pending={m.isPending || m.isSuccess}
        pendingLabel={pendingLabel}
      >
        {children}
      </ActionButton>
      <ActionResult m={m} success={null} />
    </>
  );
}
