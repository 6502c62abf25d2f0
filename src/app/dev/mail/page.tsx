// Development only: the mails the app sent, newest first, with their links clickable — read a
// confirmation mail without an SMTP server (in the spirit of letter_opener). 404 in production.
import { notFound } from 'next/navigation';
import { Fragment } from 'react';
import { getRuntime } from '@/server/runtime';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Mail sent (development) · KiloClaw', robots: { index: false } };

const URL_IN_TEXT = /(https?:\/\/[^\s]+)/g;

function Linked({ text }: { text: string }) {
  // split with a capture group: the odd parts are the URLs
  return text.split(URL_IN_TEXT).map((part, i) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed text never move
    <Fragment key={i}>{i % 2 ? <a href={part}>{part}</a> : part}</Fragment>
  ));
}

export default async function Page() {
  const { deps } = await getRuntime();
  if (!deps.devOutbox) notFound();
  const mails = deps.devOutbox.list();
  return (
    <main className="page">
      <h1>Mail sent (development)</h1>
      <p className="muted">
        What the app sent since it started, newest first. Kept in memory, never in production. Also in the log.
      </p>
      {mails.length === 0 ? <p className="empty">No mail sent yet.</p> : null}
      {mails.map((m) => (
        <article key={m.id} className="card" data-testid="dev-mail" data-to={m.to}>
          <h2>{m.subject}</h2>
          <p className="muted">
            To {m.to} · {m.sentAt}
          </p>
          <p className="dev-mail">
            <Linked text={m.text} />
          </p>
        </article>
      ))}
    </main>
  );
}
