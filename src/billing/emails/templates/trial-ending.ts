// Sweep 1: the free trial ends within a couple of days.
import { type EmailTemplate, formatDate } from '../layout';

export const trialEnding: EmailTemplate = (ctx) => ({
  subject: 'Your KiloClaw trial ends soon',
  paragraphs: [
    `Your free trial ends on ${formatDate(ctx.trialEndsAt)}.`,
    'Subscribe before then to keep your assistant running without interruption; your channels and settings stay as they are.',
  ],
  action: { label: 'Choose a plan', path: '/billing' },
});
