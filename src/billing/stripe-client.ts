// The one place a Stripe SDK client is built. The app cannot tell the local emulator from Stripe: only
// the base URL and the keys differ (STRIPE_API_BASE, STRIPE_SECRET_KEY).
import Stripe from 'stripe';

export type StripeClient = Stripe;

/** A call to Stripe that has not answered in 10 s is not going to; the dashboard shows "try again". */
const STRIPE_TIMEOUT_MS = 10_000;

export type StripeClientOptions = {
  secretKey: string;
  /** e.g. http://127.0.0.1:12111 (the emulator); unset means Stripe's own API host */
  apiBase?: string;
  timeoutMs?: number;
};

/** `http://host:port` → the SDK's host/port/protocol options (it has no single "base URL" option). */
export function parseStripeApiBase(apiBase: string): { host: string; port: number; protocol: 'http' | 'https' } {
  const u = new URL(apiBase);
  const protocol = u.protocol === 'http:' ? 'http' : u.protocol === 'https:' ? 'https' : null;
  if (!protocol) throw new Error(`STRIPE_API_BASE must be an http(s) URL, got protocol ${u.protocol}`);
  if (u.pathname !== '/' && u.pathname !== '')
    throw new Error('STRIPE_API_BASE must not have a path (the SDK adds /v1/…)');
  return { host: u.hostname, port: u.port ? Number(u.port) : protocol === 'http' ? 80 : 443, protocol };
}

export function createStripeClient(opts: StripeClientOptions): StripeClient {
  return new Stripe(opts.secretKey, {
    // Retries are the caller's decision (a procedure answers SERVICE_UNAVAILABLE and the user retries;
    // Stripe retries webhooks). The SDK still adds an Idempotency-Key to every POST.
    maxNetworkRetries: 0,
    timeout: opts.timeoutMs ?? STRIPE_TIMEOUT_MS,
    telemetry: false,
    ...(opts.apiBase ? parseStripeApiBase(opts.apiBase) : {}),
  });
}
