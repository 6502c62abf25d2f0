import { BillingPanel } from '../../_components/billing/billing-panel';

export const metadata = { title: 'Billing · KiloClaw' };

export default function BillingPage() {
  return <BillingPanel />;
}
