// Sweep 6: a payment stayed overdue past the grace period; the instance is stopped.
import { type EmailTemplate, formatDate } from '../layout';

export const pastDueSuspended: EmailTemplate = (ctx) => ({
  subject: 'Your KiloClaw assistant is suspended for an unpaid invoice',
  paragraphs: [
    `We could not collect your subscription payment, and the grace period ` +
      `is over: your assistant was stopped on ${formatDate(ctx.suspendedAt)}.`,
    `Update your payment method by ${formatDate(ctx.destructionDeadline)} and it starts again as you left it. ` +
      `After that date the instance and its data are deleted.`,
  ],
  action: { label: 'Update payment method', path: '/billing' },
});
