// A local Stripe for tests and the embedded default: a plain node:http server speaking the subset of
// Stripe's API the app uses (form-encoded, Stripe's object and error shapes, API 2026-10-28), hosted
// checkout/portal pages, signed webhook delivery with retries, and a test clock. The app talks to it
// through the official SDK with only the base URL and keys changed.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeApi } from './api-routes';
import { completeCheckout } from './billing-ops';
import { ApiFaults, answerFault, type Fault } from './faults';
import { parseForm } from './form';
import { ApiError, newId, type StripeEvent } from './objects';
import { checkoutPage, portalPage } from './pages';
import { settleAsyncPayment } from './payments';
import { DEFAULT_PRICES, type EmulatorClock, type PriceSeed, StripeState, type StripeStateSnapshot } from './state';
import { payOutstanding, settleDuePeriods } from './test-clock';
import { type DeliveryStats, WebhookDelivery } from './webhook-delivery';

export type StripeEmulatorOptions = {
  port?: number;
  host?: string;
  /** where signed events are POSTed; may also be set later with setWebhookUrl (events wait until then) */
  webhookUrl?: string;
  webhookSecret?: string;
  secretKey?: string;
  clock?: EmulatorClock;
  shuffle?: boolean;
  duplicateRate?: number;
  /** hold all deliveries until flushWebhooks() */
  holdWebhooks?: boolean;
  maxDeliveryAttempts?: number;
  retryBackoffMs?: number;
  prices?: PriceSeed[];
  /**
   * Keep the account in this JSON file across restarts (the embedded default: the app's database
   * points at these customers and subscriptions, so losing them would break every billing action).
   * Keys are kept too, so a restarted app keeps verifying the same signatures.
   */
  stateFile?: string;
  /** settle ended periods (renewals, cancels at period end, plan switches) on this interval, in real time */
  settleEveryMs?: number;
};

export type StripeEmulator = {
  url: string;
  secretKey: string;
  webhookSecret: string;
  stop: () => Promise<void>;
  /** moves the emulator's clock and settles every period that ended (renewals, cancels, plan switches) */
  advanceTime: (ms: number) => void;
  now: () => Date;
  setWebhookUrl: (url: string) => void;
  /** resolves when no delivery is pending, in flight or waiting for a retry */
  webhooksIdle: () => Promise<void>;
  /** delivers held events now (optionally shuffled, with duplicates) and waits for the outcome */
  flushWebhooks: (opts?: { shuffle?: boolean; duplicateRate?: number; concurrency?: number }) => Promise<void>;
  holdWebhooks: (hold: boolean) => void;
  deliveryStats: () => DeliveryStats;
  /** the "Pay" button, without a browser (`async`: a bank debit that settles later) */
  completeCheckout: (sessionId: string, opts?: { async?: boolean }) => void;
  /** an asynchronous payment of a completed session succeeds or fails */
  settleAsyncPayment: (sessionId: string, succeeded: boolean) => void;
  /** make the next matching API calls fail (an error answer or a dropped connection) */
  failCalls: (fault: Fault) => void;
  /** hold every API answer until released (a slow Stripe); heldCalls() counts the waiting ones */
  holdApi: (hold: boolean) => void;
  heldCalls: () => number;
  failRenewals: (subscriptionId: string, fail?: boolean) => void;
  payOutstanding: (subscriptionId: string) => void;
  state: StripeState;
  events: () => StripeEvent[];
};

const MAX_BODY_BYTES = 256 * 1024;

type SavedAccount = { secretKey: string; webhookSecret: string; state: StripeStateSnapshot };

function readSavedAccount(file: string): SavedAccount | null {
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as SavedAccount;
}

/** Write-then-rename, so a crash mid-write never leaves half a file. Mode 0600: it holds the keys. */
function saveAccount(file: string, account: SavedAccount): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(account), { mode: 0o600 });
  renameSync(tmp, file);
}

export async function startStripeEmulator(opts: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const saved = opts.stateFile ? readSavedAccount(opts.stateFile) : null;
  const secretKey = opts.secretKey ?? saved?.secretKey ?? `sk_test_emulator_${randomBytes(12).toString('hex')}`;
  const webhookSecret = opts.webhookSecret ?? saved?.webhookSecret ?? `whsec_${randomBytes(24).toString('base64url')}`;
  const delivery = new WebhookDelivery({
    secret: webhookSecret,
    url: opts.webhookUrl,
    shuffle: opts.shuffle,
    duplicateRate: opts.duplicateRate,
    paused: opts.holdWebhooks,
    maxAttempts: opts.maxDeliveryAttempts,
    backoffMs: opts.retryBackoffMs,
  });
  const state = new StripeState(opts.clock ?? { now: () => new Date() }, (e) => delivery.enqueue(e));
  for (const p of opts.prices ?? DEFAULT_PRICES) state.addPrice(p);
  if (saved) state.restore(saved.state);
  const persist = () => {
    if (opts.stateFile) saveAccount(opts.stateFile, { secretKey, webhookSecret, state: state.snapshot() });
  };
  const settleTimer = opts.settleEveryMs
    ? setInterval(() => {
        settleDuePeriods(state);
        persist();
      }, opts.settleEveryMs)
    : undefined;
  settleTimer?.unref();
  const faults = new ApiFaults();
  const idempotent = new Map<string, { path: string; status: number; body: string }>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      const requestId = newId('req');
      const send = (status: number, body: string, type = 'application/json') => {
        if (method !== 'GET') persist();
        // Date from the emulator's clock (which tests move): the app stamps API answers with it.
        const date = new Date(state.nowS() * 1000).toUTCString();
        res.writeHead(status, {
          'content-type': type,
          date,
          'request-id': requestId,
          'stripe-version': '2026-10-28.endive',
        });
        res.end(body);
      };
      const sendError = (err: unknown) => {
        if (err instanceof ApiError) return send(err.status, JSON.stringify(err.toJSON()));
        return send(
          500,
          JSON.stringify({ error: { type: 'api_error', message: `Emulator error: ${(err as Error).message}` } }),
        );
      };
      const u = new URL(req.url ?? '/', baseUrl);
      const method = req.method ?? 'GET';
      try {
        // Hosted pages (browser)
        let m = /^\/checkout\/([^/]+)$/.exec(u.pathname);
        if (m && method === 'GET') {
          const p = checkoutPage(state, m[1]!);
          return send(p.status, p.html, 'text/html; charset=utf-8');
        }
        m = /^\/checkout\/([^/]+)\/pay$/.exec(u.pathname);
        if (m && method === 'POST') {
          completeCheckout(state, m[1]!);
          persist();
          const s = state.sessions.get(m[1]!)!;
          res.writeHead(303, { location: (s.success_url ?? '/').replace('{CHECKOUT_SESSION_ID}', s.id) });
          return res.end();
        }
        m = /^\/portal\/([^/]+)$/.exec(u.pathname);
        if (m && method === 'GET') {
          const p = portalPage(state, m[1]!);
          return send(p.status, p.html, 'text/html; charset=utf-8');
        }
        if (!u.pathname.startsWith('/v1/'))
          return send(404, JSON.stringify({ error: { type: 'invalid_request_error', message: 'Not found' } }));

        // API
        if (size > MAX_BODY_BYTES) throw new ApiError(413, 'invalid_request_error', 'Request body too large.');
        const auth = req.headers.authorization ?? '';
        if (auth !== `Bearer ${secretKey}`) {
          const shown = auth.replace(/^Bearer /, '');
          return send(
            401,
            JSON.stringify({
              error: {
                type: 'invalid_request_error',
                message: `Invalid API Key provided: ${shown ? `${shown.slice(0, 8)}****${shown.slice(-4)}` : '(none)'}`,
              },
            }),
          );
        }
        const fault = faults.take(method, u.pathname);
        if (fault) return faults.gate(() => answerFault(res, fault, requestId));
        const key = method === 'POST' ? req.headers['idempotency-key'] : undefined;
        if (typeof key === 'string') {
          const hit = idempotent.get(key);
          if (hit) {
            if (hit.path !== u.pathname)
              throw new ApiError(
                400,
                'idempotency_error',
                `Keys for idempotent requests can only be used with the same parameters they were first used ` +
                  `with. Try using a key other than '${key}' if you meant to execute a different request.`,
              );
            res.setHeader('idempotent-replayed', 'true');
            return send(hit.status, hit.body);
          }
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const params = parseForm(method === 'GET' || method === 'DELETE' ? u.search.slice(1) : body);
        // Held calls run when released, so the answer (and its Date) is the state at that moment.
        return faults.gate(() => {
          try {
            const out = JSON.stringify(routeApi(state, { method, path: u.pathname, params, baseUrl }));
            if (typeof key === 'string') idempotent.set(key, { path: u.pathname, status: 200, body: out });
            send(200, out);
          } catch (err) {
            sendError(err);
          }
        });
      } catch (err) {
        sendError(err);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const baseUrl = `http://${opts.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    secretKey,
    webhookSecret,
    stop: async () => {
      clearInterval(settleTimer);
      persist();
      delivery.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    advanceTime: (ms) => {
      state.advance(ms);
      settleDuePeriods(state);
      persist();
    },
    now: () => new Date(state.nowS() * 1000),
    setWebhookUrl: (url) => delivery.setUrl(url),
    webhooksIdle: () => delivery.idle(),
    flushWebhooks: (o) => delivery.flush(o),
    holdWebhooks: (hold) => delivery.setPaused(hold),
    deliveryStats: () => ({ ...delivery.stats }),
    completeCheckout: (id, o) => completeCheckout(state, id, o),
    settleAsyncPayment: (id, ok) => settleAsyncPayment(state, id, ok),
    failCalls: (f) => faults.add(f),
    holdApi: (hold) => faults.hold(hold),
    heldCalls: () => faults.heldCount(),
    failRenewals: (id, fail = true) => void (fail ? state.failingRenewals.add(id) : state.failingRenewals.delete(id)),
    payOutstanding: (id) => payOutstanding(state, id),
    state,
    events: () => [...state.events],
  };
}
