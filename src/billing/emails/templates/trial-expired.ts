// Sweep 3: the trial ended without a subscription; the instance is stopped.
import { type EmailTemplate, formatDate } from '../layout';

export const trialExpired: EmailTemplate = (ctx) => ({
  subject: 'Your KiloClaw trial has ended',
  paragraphs: [
    `Your free trial ended on ${formatDate(ctx.trialEndsAt)}, so we have stopped your assistant.`,
    `Subscribe by ${formatDate(ctx.destructionDeadline)} to start it again with everything as you left it. ` +
      `After that date the instance and its data are deleted.`,
  ],
  action: { label: 'Subscribe', path: '/billing' },
});
