// Pairing procedures of the kiloclaw router, behind the access gate, on the caller's own instance.
// Approve inputs are checked with the contract rules (BAD_REQUEST with a readable message).
import { z } from 'zod';
import { ApproveChannelBody, ApproveDeviceBody, LIST_WAIT_MAX_S } from '@/contracts/controller';
import { clawAccessProcedure } from '../trpc';

/** `since` + `wait`: answer once the list's version differs from `since`, or after `wait` seconds (long-poll). */
const ListInput = z
  .object({
    refresh: z.boolean().optional(),
    since: z.number().int().nonnegative().optional(),
    wait: z.number().int().min(0).max(LIST_WAIT_MAX_S).optional(),
  })
  .optional();

export const pairingProcedures = {
  listChannelPairingRequests: clawAccessProcedure
    .input(ListInput)
    .query(({ ctx, input }) => ctx.deps.pairing.listChannelRequests(ctx.user.id, input ?? {})),

  approveChannelPairingRequest: clawAccessProcedure
    .input(ApproveChannelBody)
    .mutation(({ ctx, input }) => ctx.deps.pairing.approveChannelRequest(ctx.user.id, input)),

  listDevicePairingRequests: clawAccessProcedure
    .input(ListInput)
    .query(({ ctx, input }) => ctx.deps.pairing.listDeviceRequests(ctx.user.id, input ?? {})),

  approveDevicePairingRequest: clawAccessProcedure
    .input(ApproveDeviceBody)
    .mutation(({ ctx, input }) => ctx.deps.pairing.approveDeviceRequest(ctx.user.id, input)),
};
