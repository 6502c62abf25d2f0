// The Stripe emulator as the official SDK and a webhook endpoint see it: form bodies, Stripe's error
// shapes, signed deliveries Stripe's own verifier accepts, retries on failure, and the test clock.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { createStripeClient, parseStripeApiBase } from '@/billing/stripe-client';
import { parseForm } from '@/emulators/stripe/form';
import { type StripeEmulator, startStripeEmulator } from '@/emulators/stripe/server';

type Received = { type: string; id: string; signature: string; body: string };

async function endpoint(answer: (n: number) => number) {
  const received: Received[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const e = JSON.parse(body);
      received.push({ type: e.type, id: e.id, signature: String(req.headers['stripe-signature']), body });
      res.statusCode = answer(++n);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((r) => server.close(r)),
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulator(
  opts: Parameters<typeof startStripeEmulator>[0] = {},
): Promise<{ emu: StripeEmulator; stripe: Stripe }> {
  const emu = await startStripeEmulator({ retryBackoffMs: 10, ...opts });
  cleanups.push(() => emu.stop());
  return { emu, stripe: createStripeClient({ secretKey: emu.secretKey, apiBase: emu.url }) };
}

async function paidSubscription(emu: StripeEmulator, stripe: Stripe, price = 'price_standard_monthly') {
  const customer = await stripe.customers.create({ email: 'a@example.test' });
  const s = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price, quantity: 1 }],
    success_url: 'http://app/ok',
  });
  emu.completeCheckout(s.id);
  return stripe.subscriptions.retrieve((await stripe.checkout.sessions.retrieve(s.id)).subscription as string);
}

describe('parsing', () => {
  it('reads the SDK form encoding (unencoded brackets, arrays, nested objects)', () => {
    expect(
      parseForm(
        'mode=subscription&line_items[0][price]=price_1&line_items[0][quantity]=2&metadata[userId]=u%201&expand[]=a&expand[]=b',
      ),
    ).toEqual({
      mode: 'subscription',
      line_items: [{ price: 'price_1', quantity: '2' }],
      metadata: { userId: 'u 1' },
      expand: ['a', 'b'],
    });
  });

  it('turns STRIPE_API_BASE into the SDK host options, refusing what the SDK cannot use', () => {
    expect(parseStripeApiBase('http://127.0.0.1:12111')).toEqual({ host: '127.0.0.1', port: 12111, protocol: 'http' });
    expect(parseStripeApiBase('https://api.stripe.com')).toEqual({
      host: 'api.stripe.com',
      port: 443,
      protocol: 'https',
    });
    expect(() => parseStripeApiBase('ftp://x')).toThrow(/http/);
    expect(() => parseStripeApiBase('http://x/v1')).toThrow(/path/);
  });
});

describe('API as the SDK sees it', () => {
  it("answers with Stripe's error shapes: unknown ids, bad keys, invalid params", async () => {
    const { emu, stripe } = await emulator();
    const missing = await stripe.subscriptions.retrieve('sub_nope').catch((e) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect([missing.statusCode, missing.code, missing.message]).toEqual([
      404,
      'resource_missing',
      "No such subscription: 'sub_nope'",
    ]);

    const wrongKey = createStripeClient({ secretKey: 'sk_test_wrong', apiBase: emu.url });
    expect(await wrongKey.customers.list().catch((e) => e)).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);

    const badPrice = await stripe.checkout.sessions
      .create({
        mode: 'subscription',
        line_items: [{ price: 'price_earlybird', quantity: 1 }],
        success_url: 'http://app/ok',
      })
      .catch((e) => e);
    expect([badPrice.statusCode, badPrice.param]).toEqual([400, 'line_items[0][price]']);
  });

  it('puts the billing period on the subscription item (API 2026-10-28), not on the subscription', async () => {
    const { emu, stripe } = await emulator();
    const sub = await paidSubscription(emu, stripe);
    const item = sub.items.data[0]!;
    expect(item.current_period_end - item.current_period_start).toBeGreaterThanOrEqual(28 * 86_400);
    expect('current_period_end' in sub).toBe(false);
  });

  it('replays a POST with the same Idempotency-Key instead of doing it twice', async () => {
    const { emu, stripe } = await emulator();
    const a = await stripe.customers.create({ email: 'x@example.test' }, { idempotencyKey: 'same-key' });
    const b = await stripe.customers.create({ email: 'x@example.test' }, { idempotencyKey: 'same-key' });
    expect(b.id).toBe(a.id);
    expect(emu.state.customers.size).toBe(1);
  });

  it('refuses to change the cancel behaviour of a subscription a schedule manages, as Stripe does', async () => {
    const { emu, stripe } = await emulator();
    const sub = await paidSubscription(emu, stripe);
    await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    const err = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true }).catch((e) => e);
    expect(err.message).toMatch(/managed by the subscription schedule/);
    const extra = await stripe.subscriptionSchedules
      .create({ from_subscription: sub.id, end_behavior: 'release' } as never)
      .catch((e) => e);
    expect(extra.message).toMatch(/cannot set `end_behavior`/);
  });
});

describe('webhook delivery', () => {
  it('signs every delivery so that the Stripe SDK verifies it', async () => {
    const hook = await endpoint(() => 200);
    cleanups.push(hook.close);
    const { emu, stripe } = await emulator({ webhookUrl: hook.url });
    await paidSubscription(emu, stripe);
    await emu.webhooksIdle();
    expect(hook.received.map((r) => r.type)).toEqual([
      'customer.created',
      'customer.subscription.created',
      'invoice.paid',
      'checkout.session.completed',
    ]);
    for (const r of hook.received) {
      const event = await Stripe.webhooks.constructEventAsync(r.body, r.signature, emu.webhookSecret);
      expect(event.id).toBe(r.id);
    }
  });

  it('retries a delivery answered with non-2xx, with backoff, until it succeeds', async () => {
    const hook = await endpoint((n) => (n <= 2 ? 500 : 200));
    cleanups.push(hook.close);
    const { emu, stripe } = await emulator({ webhookUrl: hook.url });
    await stripe.customers.create({ email: 'r@example.test' });
    await emu.webhooksIdle();
    expect(hook.received.map((r) => r.type)).toEqual(['customer.created', 'customer.created', 'customer.created']);
    expect(emu.deliveryStats()).toMatchObject({ delivered: 1, failedAttempts: 2, gaveUp: 0 });
  });

  it('gives up after a bounded number of attempts', async () => {
    const hook = await endpoint(() => 503);
    cleanups.push(hook.close);
    const { emu, stripe } = await emulator({ webhookUrl: hook.url, maxDeliveryAttempts: 3 });
    await stripe.customers.create({ email: 'g@example.test' });
    await emu.webhooksIdle();
    expect(hook.received).toHaveLength(3);
    expect(emu.deliveryStats()).toMatchObject({ delivered: 0, gaveUp: 1 });
  });

  it('can hold a history and deliver it shuffled with duplicates', async () => {
    const hook = await endpoint(() => 200);
    cleanups.push(hook.close);
    const { emu, stripe } = await emulator({ webhookUrl: hook.url, holdWebhooks: true });
    for (let i = 0; i < 40; i++) await stripe.customers.create({ email: `s${i}@example.test` });
    expect(hook.received).toHaveLength(0);
    await emu.flushWebhooks({ shuffle: true, duplicateRate: 0.5 });
    const ids = hook.received.map((r) => r.id);
    expect(new Set(ids).size).toBe(40);
    expect(ids.length).toBe(40 + emu.deliveryStats().duplicatesSent);
    expect(emu.deliveryStats().duplicatesSent).toBeGreaterThan(5);
    expect(ids).not.toEqual(emu.events().map((e) => e.id));
  });
});

describe('test clock', () => {
  it('renews at period end, ends a subscription set to cancel, and switches plan at a schedule phase', async () => {
    const { emu, stripe } = await emulator();
    const renewing = await paidSubscription(emu, stripe);
    const canceling = await paidSubscription(emu, stripe);
    const switching = await paidSubscription(emu, stripe);
    await stripe.subscriptions.update(canceling.id, { cancel_at_period_end: true });
    const sched = await stripe.subscriptionSchedules.create({ from_subscription: switching.id });
    const p0 = sched.phases[0]!;
    await stripe.subscriptionSchedules.update(sched.id, {
      end_behavior: 'release',
      phases: [
        { items: [{ price: 'price_standard_monthly', quantity: 1 }], start_date: p0.start_date, end_date: p0.end_date },
        { items: [{ price: 'price_commit_6mo', quantity: 1 }], duration: { interval: 'month', interval_count: 6 } },
      ],
    });

    emu.advanceTime(32 * 86_400_000);
    const [r, c, s] = await Promise.all(
      [renewing, canceling, switching].map((x) => stripe.subscriptions.retrieve(x.id)),
    );
    expect(r!.items.data[0]!.current_period_start).toBe(renewing.items.data[0]!.current_period_end);
    expect(c!.status).toBe('canceled');
    expect(s!.items.data[0]!.price.id).toBe('price_commit_6mo');
    const types = emu.events().map((e) => e.type);
    expect(types).toContain('customer.subscription.deleted');
    expect(types.filter((t) => t === 'invoice.paid').length).toBeGreaterThanOrEqual(5);
  });
});
