// What a person reads when a dashboard call fails: real tRPC errors from the real handlers over
// HTTP, turned into words by the dashboard's describeError. No JSON, no internals, and the fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, isRetryable } from '@/app/_lib/errors';
import { ACCESS_DENIAL_MESSAGES } from '@/billing/access';
import { freePort } from '@/platform/free-port';
import { type AppWorld, startAppWorld } from '../harness/app';
import { signUp, trpcClient, trpcError } from '../harness/client';

let w: AppWorld;
beforeAll(async () => {
  w = await startAppWorld();
});
afterAll(async () => {
  await w?.close();
});

describe('failed calls in words', () => {
  it('explains an access denial with its reason, and does not retry it', async () => {
    const u = await signUp(w.app.url);
    const err = await trpcError(u.trpc.kiloclaw.getInstanceStatus.query());
    expect(describeError(err)).toEqual({
      code: 'FORBIDDEN',
      reason: 'no_subscription',
      message: ACCESS_DENIAL_MESSAGES.no_subscription,
    });
    expect(isRetryable(err)).toBe(false);
  });

  it('asks a signed-out person to sign in again', async () => {
    const err = await trpcError(trpcClient(w.app.url).kiloclaw.getBillingStatus.query());
    expect(describeError(err)).toMatchObject({
      code: 'UNAUTHORIZED',
      signedOut: true,
      message: 'Your session has ended. Please sign in again.',
    });
  });

  it('shows the field message of bad input, not the validator output', async () => {
    const u = await signUp(w.app.url);
    const err = await trpcError(u.trpc.kiloclaw.switchPlan.mutate({ plan: 'gold' as 'standard' }));
    const words = describeError(err);
    expect(words.code).toBe('BAD_REQUEST');
    expect(words.message).toBe('Choose a plan: standard or commit.');
    expect(words.message).not.toMatch(/[{[]/);
  });

  it('passes on the sentence of a named domain error', async () => {
    const u = await signUp(w.app.url);
    await u.trpc.kiloclaw.startTrial.mutate();
    const err = await trpcError(u.trpc.kiloclaw.startTrial.mutate());
    expect(describeError(err)).toMatchObject({
      code: 'CONFLICT',
      reason: 'trial_already_used',
      message: 'You have already used your free trial — subscribe to continue.',
    });
  });

  it('words the loser of a double-clicked trial start as "already used", never as a failure of ours', async () => {
    const u = await signUp(w.app.url);
    const results = await Promise.allSettled([
      u.trpc.kiloclaw.startTrial.mutate(),
      u.trpc.kiloclaw.startTrial.mutate(),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(describeError(lost.reason).message).toBe('You have already used your free trial — subscribe to continue.');
  });

  it('says the server could not be reached when nothing answers, and retries that', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const err = await trpcError(trpcClient(closed).kiloclaw.getBillingStatus.query());
    expect(describeError(err)).toEqual({
      code: 'NETWORK',
      message: 'Could not reach KiloClaw. Check your connection and try again.',
    });
    expect(isRetryable(err)).toBe(true);
  });

  it('never shows a server-side failure message', () => {
    const internal = Object.assign(new Error('relation "kiloclaw_subscriptions" does not exist'), {});
    expect(describeError(internal).message).toBe('Something went wrong on our side. Please try again in a moment.');
  });
});
