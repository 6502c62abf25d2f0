// The landing page: what KiloClaw is and the two ways in. Signed-in people go straight to their dashboard.
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentUser } from './_lib/session';

export const dynamic = 'force-dynamic';

export default async function Home() {
  if (await currentUser()) redirect('/dashboard');
  return (
    <main className="landing">
      <p className="brand brand-large">KiloClaw</p>
      <h1>Your own AI assistant on Telegram, Discord and Slack.</h1>
      <p className="lead">
        We run a private OpenClaw gateway for you on a machine of its own. Start a free trial, connect your channels,
        and approve who may talk to your assistant — all from one page.
      </p>
      <div className="landing-actions">
        <Link className="btn btn-primary" href="/sign-up">
          Start free trial
        </Link>
        <Link className="btn btn-secondary" href="/sign-in">
          Sign in
        </Link>
      </div>
      <ol className="steps" aria-label="How it works">
        <li>
          <strong>Create an account</strong> and start a free trial — no card needed.
        </li>
        <li>
          <strong>Start your instance.</strong> Your assistant gets a machine of its own.
        </li>
        <li>
          <strong>Approve pairing requests</strong> from people and devices you trust.
        </li>
      </ol>
    </main>
  );
}
