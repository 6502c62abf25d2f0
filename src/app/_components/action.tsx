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
