// Sweep 5: the subscription was canceled or left unpaid; the instance is stopped.
import { type EmailTemplate, formatDate } from '../layout';

export const subscriptionExpired: EmailTemplate = (ctx) => ({
  subject: 'Your KiloClaw subscription has ended',
  paragraphs: [
    `Your subscription has ended, so we stopped your assistant on ${formatDate(ctx.suspendedAt)}.`,
    `Subscribe again by ${formatDate(ctx.destructionDeadline)} to start it with everything as you left it. ` +
      `After that date the instance and its data are deleted.`,
  ],
  action: { label: 'Subscribe again', path: '/billing' },
});
