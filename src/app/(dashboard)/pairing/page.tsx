import { PairingPanel } from '../../_components/pairing/pairing-panel';

export const metadata = { title: 'Pairing · KiloClaw' };

export default function PairingPage() {
  return <PairingPanel />;
}
