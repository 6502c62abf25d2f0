// The app + the Stripe emulator + a test database, wired as in production: the app only knows the
// emulator's base URL and keys; the emulator POSTs signed events to the app's real webhook route.
import { recordingInstanceActions } from '@/billing/ports';
import { type StripeEmulator, type StripeEmulatorOptions, startStripeEmulator } from '@/emulators/stripe/server';
import { signatureHeader } from '@/emulators/stripe/webhook-delivery';
import type { Clock } from '@/platform/clock';
import { startTestApp, type TestApp } from './app';
import { createTestDb, type TestDb } from './db';

export type BillingWorld = {
  tdb: TestDb;
  app: TestApp;
  emu: StripeEmulator;
  actions: ReturnType<typeof recordingInstanceActions>;
  close: () => Promise<void>;
};

export async function startBillingWorld(
  opts: {
    emulator?: StripeEmulatorOptions;
    clock?: Clock;
    env?: Record<string, string>;
    /** the app's connection pool size (default: the test database's) */
    dbMax?: number;
  } = {},
): Promise<BillingWorld> {
  const tdb = await createTestDb({ max: opts.dbMax });
  const emu = await startStripeEmulator({ retryBackoffMs: 50, ...opts.emulator });
  const actions = recordingInstanceActions();
  const app = await startTestApp({
    db: tdb.db,
    clock: opts.clock,
    env: {
      STRIPE_SECRET_KEY: emu.secretKey,
      STRIPE_WEBHOOK_SECRET: emu.webhookSecret,
      STRIPE_API_BASE: emu.url,
      ...opts.env,
    },
    extend: (deps) => ({ ...deps, instanceActions: actions }),
  });
  emu.setWebhookUrl(`${app.url}/api/stripe/webhook`);
  return {
    tdb,
    app,
    emu,
    actions,
    close: async () => {
      await emu.stop();
      await app.close();
      await tdb.close();
    },
  };
}

/** What a browser does on the emulator's checkout page: load it, press "Pay", follow nothing. */
export async function payOnCheckoutPage(checkoutUrl: string): Promise<{ redirectedTo: string }> {
  const page = await fetch(checkoutUrl);
  if (page.status !== 200) throw new Error(`checkout page answered ${page.status}`);
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action || !html.includes('id="pay"')) throw new Error('no Pay button on the checkout page');
  const res = await fetch(new URL(action, checkoutUrl), { method: 'POST', redirect: 'manual' });
  if (res.status !== 303) throw new Error(`pay answered ${res.status}: ${await res.text()}`);
  return { redirectedTo: res.headers.get('location') ?? '' };
}

/** POSTs a body to the webhook route with a Stripe signature made with `secret` at `timestampS`. */
export async function postSignedEvent(
  appUrl: string,
  secret: string,
  body: string,
  timestampS = Math.floor(Date.now() / 1000),
): Promise<{ status: number; json: { received: boolean; receipt?: string; error?: string } }> {
  const res = await fetch(`${appUrl}/api/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signatureHeader(body, secret, timestampS) },
    body,
  });
  return { status: res.status, json: await res.json() };
}
