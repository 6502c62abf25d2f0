// The app's side of the controller's channel routes: every answer is parsed with the contract
// schemas; anything unusable becomes a named error whose message holds no token.
import type { z } from 'zod';
import type { ChannelConnection, ChannelKind } from '@/contracts/channel-input';
import {
  ApplyChannelsResponse,
  ChannelStatusResponse,
  CONTROLLER_ROUTES,
  ErrorBody,
  TestMessageResponse,
} from '@/contracts/controller';
import { type ControllerTarget, ControllerUnreachable, callController } from '../controller-client';
import { InstanceUnavailable } from '../errors';
import { ChannelsNotApplied } from './channel-errors';

const APPLY_TIMEOUT_MS = 400_000; // up to three CLI runs of up to 120 s each, one after the other
const STATUS_TIMEOUT_MS = 75_000; // one `channels status --probe` (60 s limit) and a margin
const TEST_MESSAGE_TIMEOUT_MS = 75_000;

type Call = { target: ControllerTarget; fetch?: typeof fetch; scrub: (text: string) => string };

async function ask<S extends z.ZodType>(
  call: Call,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  schema: S,
  timeoutMs: number,
  body?: unknown,
): Promise<z.infer<S>> {
  let answer: Awaited<ReturnType<typeof callController>>;
  try {
    answer = await callController(call.target, method, path, { body, timeoutMs, fetch: call.fetch });
  } catch (err) {
    if (err instanceof ControllerUnreachable)
      throw InstanceUnavailable('Your instance did not answer — try again in a minute.', 'controller_unreachable');
    throw err;
  }
  if (answer.status === 200) {
    const parsed = schema.safeParse(answer.body);
    if (parsed.success) return parsed.data;
  }
  if (answer.status === 404)
    throw InstanceUnavailable(
      'Your instance runs an older controller without channels — restart it to update.',
      'controller_outdated',
    );
  const error = ErrorBody.safeParse(answer.body);
  throw ChannelsNotApplied(call.scrub(error.success ? error.data.error : `HTTP ${answer.status}`));
}

export const pushChannels = (call: Call, channels: readonly ChannelConnection[]) =>
  ask(call, 'PUT', CONTROLLER_ROUTES.channelsConfig, ApplyChannelsResponse, APPLY_TIMEOUT_MS, { channels });

export const probeChannels = (call: Call) =>
  ask(call, 'GET', CONTROLLER_ROUTES.channelsConfig, ChannelStatusResponse, STATUS_TIMEOUT_MS);

export const askTestMessage = (call: Call, channel: ChannelKind) =>
  ask(call, 'POST', CONTROLLER_ROUTES.channelTestMessage, TestMessageResponse, TEST_MESSAGE_TIMEOUT_MS, { channel });
