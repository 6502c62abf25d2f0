'use client';
// Sign up and sign in: one form, two modes. On success the browser loads the next page afresh so the
// server sees the new session cookie: a new account goes to /verify to confirm its address.
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { ACCOUNT_LIMITS } from '@/server/account-input';
import { signInEmail, signUpEmail } from '../_lib/auth-client';

export function AuthForm({ mode }: { mode: 'sign-up' | 'sign-in' }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const signUp = mode === 'sign-up';

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const name = String(form.get('name') ?? '').trim();
    setError(null);
    setPending(true);
    const r = signUp
      ? await signUpEmail({ name: name || email.split('@')[0] || 'Customer', email, password })
      : await signInEmail({ email, password });
    if (r.ok) {
      window.location.assign(signUp ? '/verify' : '/dashboard');
      return;
    }
    setPending(false);
    setError(r.message);
  }

  return (
    <form className="card auth-card" onSubmit={onSubmit} aria-describedby={error ? 'auth-error' : undefined}>
      <Link href="/" className="brand">
        KiloClaw
      </Link>
      <h1>{signUp ? 'Create your account' : 'Sign in'}</h1>
      {signUp ? <p className="muted">Start with a free trial — no card needed.</p> : null}
      {signUp ? (
        <div className="field">
          <label htmlFor="name">Your name</label>
          <input id="name" name="name" type="text" autoComplete="name" maxLength={ACCOUNT_LIMITS.nameChars} />
        </div>
      ) : null}
      <div className="field">
        <label htmlFor="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="email"
          maxLength={ACCOUNT_LIMITS.emailChars}
          required
        />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete={signUp ? 'new-password' : 'current-password'}
          minLength={8}
          maxLength={128}
          required
          aria-describedby={signUp ? 'password-hint' : undefined}
        />
        {signUp ? (
          <p id="password-hint" className="hint">
            At least 8 characters.
          </p>
        ) : null}
      </div>
      {error ? (
        <p id="auth-error" role="alert" className="form-error">
          {error}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary btn-block" disabled={pending} aria-busy={pending}>
        {pending ? (signUp ? 'Creating your account…' : 'Signing in…') : signUp ? 'Create account' : 'Sign in'}
      </button>
      <p className="muted switch-auth">
        {signUp ? (
          <>
            Already have an account? <Link href="/sign-in">Sign in</Link>
          </>
        ) : (
          <>
            New here? <Link href="/sign-up">Create an account</Link>
          </>
        )}
      </p>
    </form>
  );
}
