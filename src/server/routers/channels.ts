// Chat-channel procedures of the kiloclaw router, behind the access gate, on the caller's own
// instance (found from ctx.user.id, never from the input). The credential rules live in
// src/contracts/channel-input.ts and are checked by the service: BAD_REQUEST, nothing written.
import { z } from 'zod';
import { clawAccessProcedure } from '../trpc';

const ChannelName = z.object({ channel: z.string({ error: 'channel must be a string' }).max(64) });

export const channelProcedures = {
  listChannels: clawAccessProcedure.query(({ ctx }) => ctx.deps.channels.list(ctx.user.id)),

  connectChannel: clawAccessProcedure
    .input(
      ChannelName.extend({
        credentials: z.record(z.string(), z.string({ error: 'each credential must be text' })),
      }),
    )
    .mutation(({ ctx, input }) => ctx.deps.channels.connect(ctx.user.id, input)),

  disconnectChannel: clawAccessProcedure
    .input(ChannelName)
    .mutation(({ ctx, input }) => ctx.deps.channels.disconnect(ctx.user.id, input)),

  sendChannelTestMessage: clawAccessProcedure
    .input(ChannelName)
    .mutation(({ ctx, input }) => ctx.deps.channels.sendTestMessage(ctx.user.id, input)),
};
