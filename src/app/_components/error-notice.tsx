'use client';
// Any failed call, in words, with the step that fixes it (subscribe, sign in again, retry).
import Link from 'next/link';
import type { AccessDenialReason } from '@/billing/access';
import { ACCESS_FIX_LABELS, describeError, isAccessDenialReason } from '../_lib/errors';
import { Notice } from './notice';

export function ErrorNotice({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const e = describeError(error);
  if (e.code === 'FORBIDDEN' && isAccessDenialReason(e.reason))
    return <AccessDenied reason={e.reason} message={e.message} />;
  return (
    <Notice tone="error" title={title}>
      <p>{e.message}</p>
      {e.signedOut ? (
        <p>
          <Link href="/sign-in">Sign in</Link>
        </p>
      ) : onRetry ? (
        <button type="button" className="btn btn-secondary btn-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </Notice>
  );
}

function AccessDenied({ reason, message }: { reason: AccessDenialReason; message: string }) {
  return (
    <Notice tone="warning" title="Your assistant is not available right now">
      <p data-reason={reason}>{message}</p>
      <p>
        <Link className="btn btn-primary" href="/billing">
          {ACCESS_FIX_LABELS[reason]}
        </Link>
      </p>
    </Notice>
  );
}
