// Sweep 8: the grace period after suspension ran out; the instance and its data are gone.
import { type EmailTemplate, formatDate } from '../layout';

export const instanceDestroyed: EmailTemplate = (ctx) => ({
  subject: 'Your KiloClaw instance has been deleted',
  paragraphs: [
    `Your assistant had been stopped since ${formatDate(ctx.suspendedAt)} ` +
      `and was not renewed, so we have deleted the instance and its data.`,
    'Your account remains: subscribe any time to start a new assistant.',
  ],
  action: { label: 'Start again', path: '/billing' },
});
