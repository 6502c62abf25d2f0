// The emulator's in-memory Stripe account: objects by id, the clock, and event emission.
import {
  API_VERSION,
  type CheckoutSession,
  type Customer,
  clone,
  type Invoice,
  missing,
  newId,
  type Price,
  type StripeEvent,
  type Subscription,
  type SubscriptionSchedule,
} from './objects';
import type { PaymentRecord, Refund } from './payments';

export type EmulatorClock = { now: () => Date };

export type PriceSeed = {
  id: string;
  unitAmount: number;
  recurring?: { interval: 'month' | 'year' | 'week' | 'day'; interval_count: number };
  nickname?: string;
};

/** The prices the app's defaults name (STRIPE_PRICE_* in .env.example), so the embedded default works as is. */
export const DEFAULT_PRICES: PriceSeed[] = [
  {
    id: 'price_standard_monthly',
    unitAmount: 2900,
    recurring: { interval: 'month', interval_count: 1 },
    nickname: 'Standard',
  },
  {
    id: 'price_commit_6mo',
    unitAmount: 14900,
    recurring: { interval: 'month', interval_count: 6 },
    nickname: 'Commit (6 months)',
  },
  { id: 'price_earlybird', unitAmount: 4900, nickname: 'Earlybird' },
];

const SNAPSHOT_EVENTS_KEPT = 500; // events are only listed for debugging; the objects carry the state

export type StripeStateSnapshot = {
  customers: Customer[];
  sessions: StripeState['sessions'] extends Map<string, infer S> ? S[] : never;
  subscriptions: Subscription[];
  schedules: SubscriptionSchedule[];
  invoices: Invoice[];
  payments?: PaymentRecord[];
  invoicePayments?: Array<[string, string]>;
  refunds?: Refund[];
  events: StripeEvent[];
  offsetMs: number;
};

export class StripeState {
  customers = new Map<string, Customer>();
  prices = new Map<string, Price>();
  sessions = new Map<
    string,
    CheckoutSession & {
      line_items_internal: Array<{ price: string; quantity: number }>;
      subscription_metadata: Record<string, string>;
      trial_period_days: number | null;
    }
  >();
  subscriptions = new Map<string, Subscription>();
  schedules = new Map<string, SubscriptionSchedule>();
  invoices = new Map<string, Invoice>();
  portalSessions = new Map<
    string,
    {
      id: string;
      object: 'billing_portal.session';
      customer: string;
      return_url: string | null;
      url: string;
      created: number;
      livemode: false;
    }
  >();
  /** payment intents of paid sessions and invoices (id → amount, refunded so far) */
  payments = new Map<string, PaymentRecord>();
  /** invoice id → the payment intent that paid it */
  invoicePayments = new Map<string, string>();
  refunds = new Map<string, Refund>();
  events: StripeEvent[] = [];
  /** subscriptions whose next renewal payment fails (test control) */
  failingRenewals = new Set<string>();
  private offsetMs = 0;

  /** Everything a restart must keep, as plain JSON (the embedded default saves it in DATA_DIR). */
  snapshot(): StripeStateSnapshot {
    return {
      customers: [...this.customers.values()],
      sessions: [...this.sessions.values()],
      subscriptions: [...this.subscriptions.values()],
      schedules: [...this.schedules.values()],
      invoices: [...this.invoices.values()],
      payments: [...this.payments.values()],
      invoicePayments: [...this.invoicePayments.entries()],
      refunds: [...this.refunds.values()],
      events: this.events.slice(-SNAPSHOT_EVENTS_KEPT),
      offsetMs: this.offsetMs,
    };
  }

  restore(snap: StripeStateSnapshot): void {
    const fill = <T extends { id: string }>(map: Map<string, T>, rows: T[]) => {
      for (const r of rows) map.set(r.id, r);
    };
    fill(this.customers, snap.customers);
    fill(this.sessions, snap.sessions);
    fill(this.subscriptions, snap.subscriptions);
    fill(this.schedules, snap.schedules);
    fill(this.invoices, snap.invoices);
    fill(this.payments, snap.payments ?? []);
    fill(this.refunds, snap.refunds ?? []);
    for (const [inv, pi] of snap.invoicePayments ?? []) this.invoicePayments.set(inv, pi);
    this.events = snap.events;
    this.offsetMs = snap.offsetMs;
  }

  constructor(
    private clock: EmulatorClock,
    private onEvent: (e: StripeEvent) => void,
  ) {}

  nowS(): number {
    return Math.floor((this.clock.now().getTime() + this.offsetMs) / 1000);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** A payment intent that succeeded for `amount` (a paid session or invoice). */
  recordPayment(amount: number, customer: string | null): PaymentRecord {
    const p = { id: newId('pi'), amount, refunded: 0, customer, charge: newId('ch') };
    this.payments.set(p.id, p);
    return p;
  }

  addPrice(seed: PriceSeed): Price {
    const price: Price = {
      id: seed.id,
      object: 'price',
      active: true,
      currency: 'usd',
      unit_amount: seed.unitAmount,
      product: newId('prod'),
      type: seed.recurring ? 'recurring' : 'one_time',
      recurring: seed.recurring ? { ...seed.recurring, usage_type: 'licensed' } : null,
      nickname: seed.nickname ?? null,
      metadata: {},
      created: this.nowS(),
      livemode: false,
    };
    this.prices.set(price.id, price);
    return price;
  }

  /** Records an event with a snapshot of `object` as it is now, and hands it to delivery. */
  emit(type: string, object: unknown, previous?: Record<string, unknown>): StripeEvent {
    const event: StripeEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: this.nowS(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: clone(object), ...(previous ? { previous_attributes: previous } : {}) },
    };
    this.events.push(event);
    this.onEvent(event);
    return event;
  }

  get<T>(map: Map<string, T>, what: string, id: string, param?: string): T {
    const v = map.get(id);
    if (!v) throw missing(what, id, param);
    return v;
  }

  /** What the API returns for a session (without the emulator's private bookkeeping fields). */
  publicSession(id: string): CheckoutSession {
    const {
      line_items_internal: _l,
      subscription_metadata: _m,
      trial_period_days: _t,
      ...pub
    } = this.get(this.sessions, 'checkout session', id);
    return clone(pub);
  }
}
