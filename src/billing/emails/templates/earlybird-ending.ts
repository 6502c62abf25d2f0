// Sweep 2: earlybird access ends within a week.
import { type EmailTemplate, formatDate } from '../layout';

export const earlybirdEnding: EmailTemplate = (ctx) => ({
  subject: 'Your KiloClaw earlybird access ends soon',
  paragraphs: [
    `Thank you for being an earlybird. Your earlybird access ends on ${formatDate(ctx.earlybirdExpiresAt)}.`,
    'Subscribe before then to keep your assistant running; nothing about your setup changes.',
  ],
  action: { label: 'Choose a plan', path: '/billing' },
});
