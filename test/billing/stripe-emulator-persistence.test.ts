// The embedded default keeps its emulated Stripe account across restarts, as a real account would.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '@/billing/stripe-client';
import { startStripeEmulator } from '@/emulators/stripe/server';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kiloclaw-stripe-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Stripe emulator with a state file', () => {
  it('keeps customers, subscriptions and keys across a restart', async () => {
    const stateFile = path.join(dir, 'stripe.json');
    const first = await startStripeEmulator({ stateFile });
    const stripe = createStripeClient({ secretKey: first.secretKey, apiBase: first.url });
    const customer = await stripe.customers.create({ email: 'kept@example.test' });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: 'price_standard_monthly', quantity: 1 }],
      success_url: 'http://localhost/ok',
      cancel_url: 'http://localhost/cancel',
    });
    first.completeCheckout(session.id);
    const subscriptionId = first.state.sessions.get(session.id)!.subscription as string;
    expect(subscriptionId).toMatch(/^sub_/);
    await first.stop();
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    const second = await startStripeEmulator({ stateFile });
    try {
      expect(second.secretKey).toBe(first.secretKey);
      expect(second.webhookSecret).toBe(first.webhookSecret);
      const again = createStripeClient({ secretKey: second.secretKey, apiBase: second.url });
      expect((await again.customers.retrieve(customer.id)) as { email?: string }).toMatchObject({
        email: 'kept@example.test',
      });
      const sub = await again.subscriptions.retrieve(subscriptionId);
      expect(sub.status).toBe('active');
      expect(sub.items.data[0]?.price.id).toBe('price_standard_monthly');
      // and it keeps working: cancel at period end is recorded
      const canceled = await again.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
      expect(canceled.cancel_at_period_end).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
