'use client';
// Walks a new account through confirming its address: what to do, a new link on request, and a way
// to fix a mistyped address (the new one gets its own link). Paying does not wait for this.
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { ACCOUNT_LIMITS } from '@/server/account-input';
import { changeEmail, resendVerification } from '../_lib/auth-client';
import { Notice } from './notice';

type News = { tone: 'success' | 'error'; text: string } | null;

export function VerifyPanel({ email, linkFailed, devMail }: { email: string; linkFailed: boolean; devMail: boolean }) {
  const [news, setNews] = useState<News>(null);
  const [pending, setPending] = useState<'resend' | 'change' | null>(null);
  const [editing, setEditing] = useState(false);

  async function onResend() {
    setPending('resend');
    const r = await resendVerification(email);
    setPending(null);
    setNews(r.ok ? { tone: 'success', text: `We sent a new link to ${email}.` } : { tone: 'error', text: r.message });
  }

  async function onChange(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const newEmail = String(new FormData(e.currentTarget).get('newEmail') ?? '').trim();
    setPending('change');
    const r = await changeEmail(newEmail);
    if (r.ok) {
      window.location.reload(); // the page shows the new address; its link is on the way
      return;
    }
    setPending(null);
    setNews({ tone: 'error', text: r.message });
  }

  return (
    <div className="card auth-card">
      <Link href="/" className="brand">
        KiloClaw
      </Link>
      <h1>Confirm your email address</h1>
      {linkFailed ? (
        <Notice tone="error">That link has expired or is not valid. Send yourself a new one below.</Notice>
      ) : null}
      <p>
        We sent a link to <strong data-testid="verify-email">{email}</strong>. Open it to confirm your address — then
        you can start your free trial and your instance.
      </p>
      <button
        type="button"
        className="btn btn-primary btn-block"
        onClick={onResend}
        disabled={pending !== null}
        aria-busy={pending === 'resend'}
      >
        {pending === 'resend' ? 'Sending…' : 'Send the link again'}
      </button>
      {news ? <Notice tone={news.tone}>{news.text}</Notice> : null}
      {editing ? (
        <form onSubmit={onChange} className="field">
          <label htmlFor="newEmail">The right address</label>
          <input
            id="newEmail"
            name="newEmail"
            type="email"
            autoComplete="email"
            maxLength={ACCOUNT_LIMITS.emailChars}
            required
          />
          <button
            type="submit"
            className="btn btn-secondary"
            disabled={pending !== null}
            aria-busy={pending === 'change'}
          >
            {pending === 'change' ? 'Saving…' : 'Use this address'}
          </button>
        </form>
      ) : (
        <p className="muted">
          Wrong address?{' '}
          <button type="button" className="btn-link" onClick={() => setEditing(true)}>
            Change it
          </button>
        </p>
      )}
      <p className="muted">
        Want to subscribe instead? <Link href="/billing">Go to billing</Link> — paying does not need the link.
      </p>
      {devMail ? (
        <p className="hint">
          Development: no mail server needed — read the mails sent at <Link href="/dev/mail">/dev/mail</Link> or in the
          log.
        </p>
      ) : null}
    </div>
  );
}
