// An earlybird checkout opened before sales closed but paid after: the payment was refunded in full.
import type { EmailTemplate } from '../layout';

export const earlybirdRefunded: EmailTemplate = () => ({
  subject: 'Your KiloClaw earlybird payment was refunded',
  paragraphs: [
    'Earlybird access had already closed when your payment went through, so we refunded it in full. ' +
      'The refund shows on your statement within 5–10 business days.',
    'You can keep using KiloClaw with a regular subscription from the billing page.',
  ],
  action: { label: 'See plans', path: '/billing' },
});
