// The one account email: "confirm your address". Sent by better-auth (sign-up, resend, change of
// address) through the app's mailer; the link is better-auth's own verify URL.
import { escapeHtml } from '@/billing/emails/layout';
import type { MailMessage } from '@/platform/mailer';

export function verifyEmailMessage(to: { email: string; name: string }, url: string): MailMessage {
  const greeting = `Hi ${to.name || 'there'},`;
  const lines = [
    'Please confirm that this is your email address. Once it is confirmed you can start your free trial and your instance.',
    'The link works for 24 hours. If you did not create a KiloClaw account, ignore this email.',
  ];
  return {
    to: to.email,
    subject: 'Confirm your email address for KiloClaw',
    text: `${[greeting, ...lines, `Confirm your email address: ${url}`, '— The KiloClaw team'].join('\n\n')}\n`,
    html:
      `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5;max-width:560px">` +
      `<p>${escapeHtml(greeting)}</p>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}` +
      `<p><a href="${escapeHtml(url)}">Confirm your email address</a></p><p>— The KiloClaw team</p></body></html>`,
  };
}
