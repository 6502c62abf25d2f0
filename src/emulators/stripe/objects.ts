// Stripe-shaped objects as the API version 2026-10-28 returns them (only the fields our app and the SDK
// typings rely on, plus the usual envelope fields). Periods live on subscription ITEMS since 2025-03-31.
import { randomBytes } from 'node:crypto';

export const API_VERSION = '2026-10-28.endive';

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

export type Recurring = { interval: 'day' | 'week' | 'month' | 'year'; interval_count: number };

export type Price = {
  id: string;
  object: 'price';
  active: boolean;
  currency: string;
  unit_amount: number;
  product: string;
  type: 'recurring' | 'one_time';
  recurring: (Recurring & { usage_type: 'licensed' }) | null;
  nickname: string | null;
  metadata: Record<string, string>;
  created: number;
  livemode: false;
};

export type Customer = {
  id: string;
  object: 'customer';
  email: string | null;
  name: string | null;
  metadata: Record<string, string>;
  created: number;
  livemode: false;
};

type SubscriptionItem = {
  id: string;
  object: 'subscription_item';
  price: Price;
  quantity: number;
  subscription: string;
  current_period_start: number;
  current_period_end: number;
  metadata: Record<string, string>;
  created: number;
};

type SubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'canceled'
  | 'unpaid'
  | 'paused';

export type Subscription = {
  id: string;
  object: 'subscription';
  customer: string;
  status: SubscriptionStatus;
  items: { object: 'list'; data: SubscriptionItem[]; has_more: false; total_count: number; url: string };
  cancel_at_period_end: boolean;
  cancel_at: number | null;
  canceled_at: number | null;
  ended_at: number | null;
  created: number;
  start_date: number;
  billing_cycle_anchor: number;
  trial_start: number | null;
  trial_end: number | null;
  metadata: Record<string, string>;
  schedule: string | null;
  latest_invoice: string | null;
  currency: string;
  collection_method: 'charge_automatically';
  livemode: false;
};

export type SchedulePhase = {
  start_date: number;
  end_date: number | null;
  items: Array<{ price: string; quantity: number; metadata: Record<string, string> }>;
  metadata: Record<string, string>;
  proration_behavior: 'create_prorations';
};

export type SubscriptionSchedule = {
  id: string;
  object: 'subscription_schedule';
  customer: string;
  subscription: string | null;
  status: 'not_started' | 'active' | 'completed' | 'released' | 'canceled';
  phases: SchedulePhase[];
  current_phase: { start_date: number; end_date: number } | null;
  end_behavior: 'release' | 'cancel' | 'none' | 'renew';
  released_at: number | null;
  released_subscription: string | null;
  canceled_at: number | null;
  completed_at: number | null;
  created: number;
  metadata: Record<string, string>;
  test_clock: null;
  livemode: false;
};

export type CheckoutSession = {
  id: string;
  object: 'checkout.session';
  mode: 'subscription' | 'payment' | 'setup';
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid' | 'no_payment_required';
  customer: string | null;
  customer_email: string | null;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  success_url: string | null;
  cancel_url: string | null;
  url: string | null;
  subscription: string | null;
  payment_intent: string | null;
  amount_total: number;
  currency: string;
  created: number;
  expires_at: number;
  livemode: false;
};

export type Invoice = {
  id: string;
  object: 'invoice';
  customer: string;
  status: 'open' | 'paid';
  amount_due: number;
  amount_paid: number;
  currency: string;
  period_start: number;
  period_end: number;
  created: number;
  livemode: false;
  billing_reason: 'subscription_create' | 'subscription_cycle';
  parent: {
    type: 'subscription_details';
    subscription_details: { subscription: string; metadata: Record<string, string> };
  };
};

export type StripeEvent = {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
};

/** `from` + n intervals, in unix seconds (calendar months, like Stripe's billing anchor). */
export function addInterval(fromS: number, r: Recurring, times = 1): number {
  const d = new Date(fromS * 1000);
  const n = r.interval_count * times;
  if (r.interval === 'day') d.setUTCDate(d.getUTCDate() + n);
  else if (r.interval === 'week') d.setUTCDate(d.getUTCDate() + 7 * n);
  else if (r.interval === 'month') d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCFullYear(d.getUTCFullYear() + n);
  return Math.floor(d.getTime() / 1000);
}

export const clone = <T>(v: T): T => structuredClone(v);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: 'invalid_request_error' | 'api_error' | 'idempotency_error' | 'card_error',
    message: string,
    readonly param?: string,
    readonly code?: string,
  ) {
    super(message);
  }
  toJSON() {
    return {
      error: {
        type: this.type,
        message: this.message,
        ...(this.param ? { param: this.param } : {}),
        ...(this.code ? { code: this.code } : {}),
      },
    };
  }
}

export const missing = (what: string, id: string, param?: string) =>
  new ApiError(404, 'invalid_request_error', `No such ${what}: '${id}'`, param, 'resource_missing');
export const invalid = (message: string, param?: string) =>
  new ApiError(400, 'invalid_request_error', message, param, 'parameter_invalid');
