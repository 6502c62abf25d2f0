// Turns a template's few paragraphs into the plain-text and simple HTML bodies of one email.
import type { MailMessage } from '@/platform/mailer';

/** What a template knows about its recipient: who they are and the dates of their billing state. */
export type EmailContext = {
  name: string;
  email: string;
  /** base URL of the dashboard, for the one link each email carries */
  appUrl: string;
  trialEndsAt?: Date | null;
  earlybirdExpiresAt?: Date | null;
  suspendedAt?: Date | null;
  destructionDeadline?: Date | null;
};

type EmailContent = {
  subject: string;
  paragraphs: string[];
  action: { label: string; path: string };
};

export type EmailTemplate = (ctx: EmailContext) => EmailContent;

// built once: constructing an Intl formatter per date costs more than the rest of an email together
const DAY_FORMAT = new Intl.DateTimeFormat('en-US', {
  timeZone: 'UTC',
  weekday: 'long',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
});
const TIME_FORMAT = new Intl.DateTimeFormat('en-US', {
  timeZone: 'UTC',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** Dates are written out in words and in UTC, so nobody misreads 03/04 or a local midnight. */
export function formatDate(d: Date | null | undefined): string {
  if (!d) return 'soon';
  return `${DAY_FORMAT.format(d)}, ${TIME_FORMAT.format(d)} UTC`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

export function renderEmail(template: EmailTemplate, ctx: EmailContext): MailMessage {
  const c = template(ctx);
  const url = `${ctx.appUrl.replace(/\/$/, '')}${c.action.path}`;
  const greeting = `Hi ${ctx.name || 'there'},`;
  const blocks = [greeting, ...c.paragraphs, `${c.action.label}: ${url}`, '— The KiloClaw team'];
  const text = `${blocks.join('\n\n')}\n`;
  const html =
    `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5;max-width:560px">` +
    `<p>${escapeHtml(greeting)}</p>` +
    c.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('') +
    `<p><a href="${escapeHtml(url)}">${escapeHtml(c.action.label)}</a></p>` +
    `<p>— The KiloClaw team</p></body></html>`;
  return { to: ctx.email, subject: c.subject, text, html };
}
