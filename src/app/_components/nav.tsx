'use client';
// The dashboard's shared header: where you are, who you are, and the way out.
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useState } from 'react';
import { signOut } from '../_lib/auth-client';

const LINKS = [
  { href: '/billing', label: 'Billing' },
  { href: '/instance', label: 'Instance' },
  { href: '/channels', label: 'Channels' },
  { href: '/pairing', label: 'Pairing' },
] as const;

export function DashboardNav({ email }: { email: string }) {
  const pathname = usePathname();
  const [leaving, setLeaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSignOut() {
    setLeaving(true);
    setError(null);
    const r = await signOut();
    if (r.ok) {
      window.location.assign('/');
      return;
    }
    setLeaving(false);
    setError(r.message);
  }

  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link href="/dashboard" className="brand">
          KiloClaw
        </Link>
        <nav aria-label="Dashboard">
          <ul className="nav-links">
            {LINKS.map((l) => (
              <li key={l.href}>
                <Link href={l.href} aria-current={pathname === l.href ? 'page' : undefined}>
                  {l.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <span className="account-email" title="Signed in as">
            {email}
          </span>
          <button
            type="button"
            className="btn btn-secondary btn-small"
            onClick={onSignOut}
            disabled={leaving}
            aria-busy={leaving}
          >
            {leaving ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      </div>
      {error ? (
        <p role="alert" className="topbar-error">
          {error}
        </p>
      ) : null}
    </header>
  );
}
