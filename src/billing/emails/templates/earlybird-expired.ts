// Sweep 4: earlybird access ended without a subscription; the instance is stopped.
import { type EmailTemplate, formatDate } from '../layout';

export const earlybirdExpired: EmailTemplate = (ctx) => ({
  subject: 'Your KiloClaw earlybird access has ended',
  paragraphs: [
    `Your earlybird access ended on ${formatDate(ctx.earlybirdExpiresAt)}, so we have stopped your assistant.`,
    `Subscribe by ${formatDate(ctx.destructionDeadline)} to start it again with everything as you left it. ` +
      `After that date the instance and its data are deleted.`,
  ],
  action: { label: 'Subscribe', path: '/billing' },
});
