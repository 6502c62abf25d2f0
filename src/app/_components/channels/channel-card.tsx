'use client';
// One chat channel: its status in words, the last 4 characters of the saved token, and the forms to
// connect (or replace) and disconnect it. In development, "Send a test message" makes openclaw
// record a pairing request from a simulated sender, which then waits on the Pairing page.
import Link from 'next/link';
import { useState } from 'react';
import { CHANNEL_SPECS } from '@/contracts/channel-input';
import { CHANNEL_STATE_LABELS } from '../../_lib/labels';
import { api } from '../../_lib/trpc';
import { ActionButton, ActionResult, useAction } from '../action';
import { ErrorNotice } from '../error-notice';
import { Notice } from '../notice';

/** The channel list's query key (the panel lists, the card's actions refresh it). */
export const CHANNEL_LIST_KEY = ['channels', 'list'] as const;

type ChannelsView = Awaited<ReturnType<typeof api.listChannels.query>>;
type ChannelView = ChannelsView['channels'][number];

export function ChannelCard({
  view,
  testMessages,
  running,
}: {
  view: ChannelView;
  testMessages: boolean;
  running: boolean;
}) {
  const spec = CHANNEL_SPECS[view.channel];
  const [editing, setEditing] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  const [sent, setSent] = useState<string | null>(null);
  const connect = useAction(
    (credentials: Record<string, string>) => api.connectChannel.mutate({ channel: view.channel, credentials }),
    {
      invalidate: [CHANNEL_LIST_KEY],
      onDone: () => {
        setValues({}); // the token leaves the page as soon as it is saved
        setEditing(false);
      },
    },
  );
  const disconnect = useAction(() => api.disconnectChannel.mutate({ channel: view.channel }), {
    invalidate: [CHANNEL_LIST_KEY],
  });
  const test = useAction(() => api.sendChannelTestMessage.mutate({ channel: view.channel }), {
    invalidate: [['pairing', 'channels']],
    onDone: (r) => setSent(r.code),
  });
  const words = CHANNEL_STATE_LABELS[view.state];
  const showForm = !view.connected || editing;
  const busy = connect.isPending || disconnect.isPending;
  const titleId = `channel-${view.channel}-title`;

  return (
    <section className="card" aria-labelledby={titleId} data-testid={`channel-${view.channel}`}>
      <h2 id={titleId}>
        {spec.label}{' '}
        <span className={`badge badge-${words.tone}`} data-testid="channel-state" data-state={view.state}>
          {words.label}
        </span>
      </h2>
      {view.detail ? (
        <p className={view.state === 'error' ? 'text-bad' : 'muted'} data-testid="channel-detail">
          {view.detail}
        </p>
      ) : null}
      {view.connected ? (
        <p className="muted small">
          {spec.fields.map((f) => `${f.label} ending in ${view.hints[f.name] ?? '????'}`).join(' · ')}
        </p>
      ) : null}

      {showForm ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            connect.mutate(Object.fromEntries(spec.fields.map((f) => [f.name, values[f.name] ?? ''])));
          }}
        >
          <p className="hint">{spec.hint}</p>
          {spec.fields.map((f) => {
            const id = `${view.channel}-${f.name}`;
            return (
              <div className="field" key={f.name}>
                <label htmlFor={id}>{f.label}</label>
                <input
                  id={id}
                  name={f.name}
                  type="password"
                  autoComplete="off"
                  spellCheck={false}
                  required
                  value={values[f.name] ?? ''}
                  onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
                />
              </div>
            );
          })}
          <div className="button-row">
            <button type="submit" className="btn btn-primary" disabled={busy} aria-busy={connect.isPending}>
              {connect.isPending ? (
                <>
                  <span className="spinner" aria-hidden="true" /> Connecting…
                </>
              ) : view.connected ? (
                `Replace ${spec.label} token`
              ) : (
                `Connect ${spec.label}`
              )}
            </button>
            {editing ? (
              <button type="button" className="btn btn-secondary" onClick={() => setEditing(false)} disabled={busy}>
                Cancel
              </button>
            ) : null}
          </div>
        </form>
      ) : (
        <div className="button-row">
          <button
            type="button"
            className="btn btn-secondary btn-small"
            onClick={() => setEditing(true)}
            disabled={busy}
          >
            Replace token
          </button>
          <ActionButton
            variant="danger"
            small
            onClick={() => disconnect.mutate(undefined)}
            pending={disconnect.isPending}
            pendingLabel="Disconnecting…"
            disabled={busy}
          >
            Disconnect
          </ActionButton>
          {testMessages && running ? (
            <ActionButton
              variant="secondary"
              small
              onClick={() => test.mutate(undefined)}
              pending={test.isPending}
              pendingLabel="Sending…"
              ariaLabel={`Send a test message on ${spec.label}`}
            >
              Send a test message
            </ActionButton>
          ) : null}
        </div>
      )}
      <ActionResult m={connect} success={`${spec.label} saved.`} />
      <ActionResult m={disconnect} success={`${spec.label} disconnected.`} />
      {test.isError ? <ErrorNotice error={test.error} /> : null}
      {test.isSuccess && sent ? (
        <Notice tone="success">
          <p>
            A test sender asked to pair (code {sent}). <Link href="/pairing">Approve them on the Pairing page</Link>.
          </p>
        </Notice>
      ) : null}
    </section>
  );
}
