'use client';
// Deleting the instance removes its machine and data for good, so the button stays disabled until
// the person has typed the confirmation word.
import { useId, useState } from 'react';
import { type InstanceStatusView, instanceQuery } from '../../_lib/queries';
import { api } from '../../_lib/trpc';
import { ActionButton, ActionResult, useAction } from '../action';

const DESTROY_CONFIRMATION_WORD = 'delete';

export function DestroyInstance({ onDestroyed }: { onDestroyed: (view: InstanceStatusView) => void }) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const hintId = useId();
  const destroy = useAction(() => api.destroyInstance.mutate({ confirm: true }), {
    invalidate: [instanceQuery.queryKey],
    onDone: (view) => {
      setTyped('');
      onDestroyed(view);
    },
  });
  const confirmed = typed.trim().toLowerCase() === DESTROY_CONFIRMATION_WORD;

  return (
    <div className="card card-danger">
      <h2>Delete instance</h2>
      <p id={hintId}>
        This deletes your assistant&apos;s machine and all of its data, including its paired channels and devices. It
        cannot be undone. Type <strong>{DESTROY_CONFIRMATION_WORD}</strong> to confirm.
      </p>
      <div className="field field-inline">
        <label htmlFor={inputId}>Confirmation</label>
        <input
          id={inputId}
          type="text"
          autoComplete="off"
          spellCheck={false}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          aria-describedby={hintId}
          placeholder={DESTROY_CONFIRMATION_WORD}
        />
        <ActionButton
          variant="danger"
          onClick={() => destroy.mutate()}
          pending={destroy.isPending}
          pendingLabel="Deleting…"
          disabled={!confirmed}
        >
          Delete instance
        </ActionButton>
      </div>
      <ActionResult m={destroy} success={null} />
    </div>
  );
}
