// Development only: the mails the app sent, kept in memory so a person (or the browser test) can read
// them without an SMTP server — the page /dev/mail and GET /api/dev/mail show them, in the spirit of
// letter_opener. Never built in production (app-deps.ts), and both doors answer 404 there.
import type { Mailer, MailMessage } from '@/platform/mailer';

type OutboxMail = MailMessage & { id: number; sentAt: string };

export type DevOutbox = {
  /** newest first; `to` filters by recipient (case-insensitive) */
  list: (to?: string) => OutboxMail[];
};

const KEPT = 100; // a development session reads the last few; older ones are dropped

/** The mailer that also keeps each accepted message in the outbox. */
export function withDevOutbox(mailer: Mailer, clock: { now: () => Date }): { mailer: Mailer; outbox: DevOutbox } {
  const mails: OutboxMail[] = [];
  let seq = 0;
  return {
    mailer: {
      async send(message) {
        await mailer.send(message);
        seq += 1;
        mails.unshift({ ...message, id: seq, sentAt: clock.now().toISOString() });
        if (mails.length > KEPT) mails.pop();
      },
      close: () => mailer.close(),
    },
    outbox: {
      list: (to) => (to ? mails.filter((m) => m.to.toLowerCase() === to.toLowerCase()) : [...mails]),
    },
  };
}
