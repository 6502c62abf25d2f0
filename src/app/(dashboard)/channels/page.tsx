import { ChannelsPanel } from '../../_components/channels/channels-panel';

export const metadata = { title: 'Channels · KiloClaw' };

export default function ChannelsPage() {
  return <ChannelsPanel />;
}
