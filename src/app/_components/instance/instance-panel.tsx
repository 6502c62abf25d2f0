'use client';
// The instance page: its status, kept live by polling (fast while it changes), and start / stop /
// delete. Deleting asks the person to type a word first: it cannot be undone.
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { DESTROYABLE, STARTABLE, STOPPABLE } from '@/instances/transitions';
import { readable } from '../../_lib/errors';
import { INSTANCE_STATUS_LABELS } from '../../_lib/labels';
import { instanceQuery } from '../../_lib/queries';
import { formatAge } from '../../_lib/time';
import { api } from '../../_lib/trpc';
import { useNow } from '../../_lib/use-now';
import { ActionButton, ActionResult, useAction } from '../action';
import { LoadingPage } from '../loading-page';
import { Notice } from '../notice';
import { DestroyInstance } from './destroy-instance';

const FAST_POLL_MS = 2_000; // while starting or deleting, so the page follows the machine
const SLOW_POLL_MS = 15_000; // otherwise, to notice a stop by the billing cron or a crash

export function InstancePanel() {
  const now = useNow(10_000);
  // the delete card goes away with the instance, so its outcome is told here
  const [deleted, setDeleted] = useState<string | null>(null);
  const opts = { invalidate: [instanceQuery.queryKey] };
  const start = useAction(() => {
    setDeleted(null);
    return api.startInstance.mutate();
  }, opts);
  const stop = useAction(() => api.stopInstance.mutate(), opts);
  // A start answers only once the machine is up; meanwhile the poll shows each step it takes.
  const acting = start.isPending || stop.isPending;
  const instance = useQuery({
    ...instanceQuery,
    refetchInterval: (q) => {
      if (q.state.status === 'error') return false;
      const st = q.state.data?.status;
      return acting || st === 'starting' || st === 'destroying' ? FAST_POLL_MS : SLOW_POLL_MS;
    },
  });

  if (instance.isPending || instance.isError) {
    return (
      <LoadingPage
        titleId="instance-title"
        header={<h1 id="instance-title">Your instance</h1>}
        query={instance}
        loadingText="Loading your instance…"
        errorTitle="We could not load your instance"
      />
    );
  }

  const { status, updatedAt, lastError } = instance.data;
  const view = INSTANCE_STATUS_LABELS[status];
  const canStart = status === 'none' || STARTABLE.includes(status);
  const canStop = status !== 'none' && STOPPABLE.includes(status);
  const canDestroy = status !== 'none' && DESTROYABLE.includes(status);

  return (
    <section aria-labelledby="instance-title" className="stack">
      <h1 id="instance-title">Your instance</h1>
      {deleted ? <Notice tone="success">{deleted}</Notice> : null}
      <div className="card">
        <h2>Status</h2>
        <p className="status-line" aria-live="polite">
          <span className={`badge badge-${view.tone}`} data-testid="instance-status" data-status={status}>
            {view.label}
          </span>
          {updatedAt ? <span className="muted"> since {formatAge(updatedAt, now)}</span> : null}
        </p>
        <p>{view.detail}</p>
        {lastError && status !== 'running' ? (
          <Notice tone="warning" title="The last attempt did not finish">
            <p>
              {readable(lastError) ? lastError : 'Your machine reported a problem.'} Try starting it again; if this
              keeps happening, contact support.
            </p>
          </Notice>
        ) : null}
        <div className="button-row">
          {canStart ? (
            <ActionButton onClick={() => start.mutate()} pending={start.isPending} pendingLabel="Starting…">
              Start instance
            </ActionButton>
          ) : null}
          {canStop ? (
            <ActionButton
              variant="secondary"
              onClick={() => stop.mutate()}
              pending={stop.isPending}
              pendingLabel="Stopping…"
            >
              Stop instance
            </ActionButton>
          ) : null}
        </div>
        <ActionResult
          m={start}
          success={
            status === 'running'
              ? 'Your assistant is running.'
              : 'Starting your assistant. This page updates by itself.'
          }
        />
        <ActionResult m={stop} success="Your assistant is stopped. Start it again any time." />
        {status === 'running' ? (
          <p>
            Next: <Link href="/pairing">approve pairing requests</Link> from people and devices you trust.
          </p>
        ) : null}
      </div>
      {canDestroy ? (
        <DestroyInstance
          onDestroyed={(v) =>
            setDeleted(
              v.status === 'none'
                ? 'Your instance and its data were deleted. You can start a new one any time.'
                : 'Your instance is being deleted. This page updates by itself.',
            )
          }
        />
      ) : null}
    </section>
  );
}
