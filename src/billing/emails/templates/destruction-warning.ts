// Sweep 7: a suspended instance will be deleted in a couple of days.
import { type EmailTemplate, formatDate } from '../layout';

export const destructionWarning: EmailTemplate = (ctx) => ({
  subject: 'Your KiloClaw instance will be deleted soon',
  paragraphs: [
    `Your assistant has been stopped since ${formatDate(ctx.suspendedAt)}. ` +
      `On ${formatDate(ctx.destructionDeadline)} we delete the instance and its data for good.`,
    'Subscribe or settle your payment before then to keep it.',
  ],
  action: { label: 'Keep my instance', path: '/billing' },
});
