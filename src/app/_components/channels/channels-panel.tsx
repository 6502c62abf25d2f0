'use client';
// The channels page: connect Telegram, Discord and Slack to the assistant by pasting their tokens,
// see each one's status as openclaw reports it, replace or disconnect. Tokens never come back from
// the server: only their last 4 characters are shown.
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { api } from '../../_lib/trpc';
import { LoadingPage } from '../loading-page';
import { Notice } from '../notice';
import { CHANNEL_LIST_KEY, ChannelCard } from './channel-card';

const STATUS_POLL_MS = 10_000; // a channel connects within seconds; each poll costs the instance one probe

export function ChannelsPanel() {
  const list = useQuery({
    queryKey: CHANNEL_LIST_KEY,
    queryFn: () => api.listChannels.query(),
    refetchInterval: STATUS_POLL_MS,
  });

  const header = (
    <div className="page-header">
      <h1 id="channels-title">Channels</h1>
    </div>
  );
  if (list.isPending || list.isError) {
    return (
      <LoadingPage titleId="channels-title" header={header} query={list} errorTitle="We could not load your channels" />
    );
  }

  const { instance, channels, testMessages } = list.data;
  return (
    <section aria-labelledby="channels-title" className="stack">
      {header}
      <p className="lead">
        Connect the chat apps your assistant answers on. When someone messages it for the first time, they wait on the{' '}
        <Link href="/pairing">Pairing</Link> page until you approve them.
      </p>
      {instance === 'none' ? (
        <Notice tone="info" title="You have no instance yet">
          <p>
            <Link href="/instance">Start your instance</Link> first; then connect its channels here.
          </p>
        </Notice>
      ) : instance !== 'running' ? (
        <Notice tone="info" title="Your instance is not running">
          <p>
            You can still connect or change channels: they are applied when it starts.{' '}
            <Link href="/instance">Start your instance</Link>
          </p>
        </Notice>
      ) : null}
      {instance === 'none'
        ? null
        : channels.map((c) => (
            <ChannelCard key={c.channel} view={c} testMessages={testMessages} running={instance === 'running'} />
          ))}
    </section>
  );
}
