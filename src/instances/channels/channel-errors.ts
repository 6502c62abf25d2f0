// Named errors of the channels feature (mapped to tRPC codes with the other instance errors).
import { InstanceError, InstanceUnavailable } from '../errors';

export const BadChannelInput = (message: string) => new InstanceError('bad_request', message, 'invalid_channel_input');

export const ChannelInstanceNotRunning = () =>
  new InstanceError('conflict', 'Your instance is not running — start it first.', 'instance_not_running');

export const ChannelNotConnected = (label: string) =>
  new InstanceError('conflict', `${label} is not connected — connect it first.`, 'channel_not_connected');

export const TestMessagesDisabled = () =>
  new InstanceError(
    'forbidden',
    'Test messages exist only in development; in production, message your bot from the chat app itself.',
    'test_messages_disabled',
  );

export const ChannelKeysMissing = () =>
  new InstanceError(
    'unavailable',
    'Channels are not set up on this server (CHANNEL_TOKEN_KEYS is not configured) — contact support.',
    'channel_keys_missing',
  );

/** The instance answered, but openclaw could not apply or report the channels; `reason` holds no token. */
export const ChannelsNotApplied = (reason: string) =>
  InstanceUnavailable(`Your instance could not apply the channel: ${reason}`, 'channels_not_applied');

/** The saved token cannot be decrypted with any configured key (a key was dropped from CHANNEL_TOKEN_KEYS). */
export const ChannelCredentialsLost = (label: string) =>
  new InstanceError(
    'conflict',
    `The saved ${label} token can no longer be read — connect ${label} again with its token.`,
    'channel_credentials_unreadable',
  );
