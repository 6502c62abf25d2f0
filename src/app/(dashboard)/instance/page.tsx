import { InstancePanel } from '../../_components/instance/instance-panel';

export const metadata = { title: 'Your instance · KiloClaw' };

export default function InstancePage() {
  return <InstancePanel />;
}
