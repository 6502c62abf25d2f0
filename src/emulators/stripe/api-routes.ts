// The subset of Stripe's REST API (/v1) that the app calls, on the emulator's state.
import {
  cancelSubscriptionNow,
  releaseSchedule,
  scheduleFromSubscription,
  setSchedulePhases,
  updateSubscription,
} from './billing-ops';
import { arr, bool, type FormObject, int, metadataOf, obj, str } from './form';
import { ApiError, addInterval, type Customer, clone, invalid, newId, type SchedulePhase } from './objects';
import { createRefund, invoicePaymentObject } from './payments';
import type { StripeState } from './state';

export type ApiRequest = { method: string; path: string; params: FormObject; baseUrl: string };

const list = <T>(url: string, data: T[], limit = 10) => ({
  object: 'list',
  url,
  has_more: data.length > limit,
  data: data.slice(0, limit),
});
const required = (v: string | undefined, param: string): string => {
  if (!v) throw invalid(`Missing required param: ${param}.`, param);
  return v;
};

type Route = {
  method: string;
  pattern: RegExp;
  run: (st: StripeState, req: ApiRequest, m: RegExpExecArray) => unknown;
};

const ROUTES: Route[] = [
  // --- customers
  {
    method: 'POST',
    pattern: /^\/v1\/customers$/,
    run: (st, { params }) => {
      const c: Customer = {
        id: newId('cus'),
        object: 'customer',
        email: str(params.email) ?? null,
        name: str(params.name) ?? null,
        metadata: metadataOf(params.metadata),
        created: st.nowS(),
        livemode: false,
      };
      st.customers.set(c.id, c);
      st.emit('customer.created', c);
      return c;
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/customers$/,
    run: (st, { params }) => {
      const email = str(params.email);
      const all = [...st.customers.values()].filter((c) => !email || c.email === email).reverse();
      return list('/v1/customers', all, int(params.limit) ?? 10);
    },
  },
  { method: 'GET', pattern: /^\/v1\/customers\/([^/]+)$/, run: (st, _r, m) => st.get(st.customers, 'customer', m[1]!) },

  // --- prices
  {
    method: 'POST',
    pattern: /^\/v1\/prices$/,
    run: (st, { params }) => {
      const rec = obj(params.recurring);
      const interval = str(rec.interval) as 'day' | 'week' | 'month' | 'year' | undefined;
      return st.addPrice({
        id: newId('price'),
        unitAmount: int(params.unit_amount) ?? 0,
        recurring: interval ? { interval, interval_count: int(rec.interval_count) ?? 1 } : undefined,
        nickname: str(params.nickname),
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/prices$/,
    run: (st, { params }) => list('/v1/prices', [...st.prices.values()], int(params.limit) ?? 10),
  },
  { method: 'GET', pattern: /^\/v1\/prices\/([^/]+)$/, run: (st, _r, m) => st.get(st.prices, 'price', m[1]!) },

  // --- checkout sessions
  {
    method: 'POST',
    pattern: /^\/v1\/checkout\/sessions$/,
    run: (st, { params, baseUrl }) => {
      const mode = str(params.mode);
      if (mode !== 'subscription' && mode !== 'payment')
        throw invalid('Invalid mode: must be one of payment, subscription.', 'mode');
      const lines = arr(params.line_items).map((l, i) => {
        const price = required(str(obj(l).price), `line_items[${i}][price]`);
        const p = st.get(st.prices, 'price', price, `line_items[${i}][price]`);
        if (mode === 'subscription' && p.type !== 'recurring')
          throw invalid(
            `You specified \`payment\` mode but passed a recurring price. Either ` +
              `switch to \`subscription\` mode or use only one-time prices.`,
            `line_items[${i}][price]`,
          );
        if (mode === 'payment' && p.type === 'recurring')
          throw invalid(
            'You must provide at least one recurring price in `subscription` mode when using prices.',
            `line_items[${i}][price]`,
          );
        return { price, quantity: int(obj(l).quantity) ?? 1 };
      });
      if (!lines.length) throw invalid('line_items is required in subscription and payment mode.', 'line_items');
      const customer = str(params.customer) ?? null;
      if (customer) st.get(st.customers, 'customer', customer, 'customer');
      const successUrl = required(str(params.success_url), 'success_url');
      const id = newId('cs_test');
      const now = st.nowS();
      const amount = lines.reduce((sum, l) => sum + st.prices.get(l.price)!.unit_amount * l.quantity, 0);
      const sub = obj(params.subscription_data);
      st.sessions.set(id, {
        id,
        object: 'checkout.session',
        mode,
        status: 'open',
        payment_status: 'unpaid',
        customer,
        customer_email: str(params.customer_email) ?? (customer ? st.customers.get(customer)!.email : null),
        client_reference_id: str(params.client_reference_id) ?? null,
        metadata: metadataOf(params.metadata),
        success_url: successUrl,
        cancel_url: str(params.cancel_url) ?? null,
        url: `${baseUrl}/checkout/${id}`,
        subscription: null,
        payment_intent: null,
        amount_total: amount,
        currency: 'usd',
        created: now,
        expires_at: now + 86_400,
        livemode: false,
        line_items_internal: lines,
        subscription_metadata: metadataOf(sub.metadata),
        trial_period_days: int(sub.trial_period_days) ?? null,
      });
      return st.publicSession(id);
    },
  },
  { method: 'GET', pattern: /^\/v1\/checkout\/sessions\/([^/]+)$/, run: (st, _r, m) => st.publicSession(m[1]!) },
  {
    method: 'GET',
    pattern: /^\/v1\/checkout\/sessions$/,
    run: (st, { params }) => {
      const customer = str(params.customer);
      const status = str(params.status);
      const all = [...st.sessions.values()]
        .filter((s) => (!customer || s.customer === customer) && (!status || s.status === status))
        .reverse()
        .map((s) => st.publicSession(s.id));
      return list('/v1/checkout/sessions', all, int(params.limit) ?? 10);
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/,
    run: (st, _r, m) => {
      const s = st.get(st.sessions, 'checkout session', m[1]!);
      if (s.status !== 'open')
        throw invalid(
          `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${s.status}".`,
        );
      s.status = 'expired';
      s.url = null;
      const pub = st.publicSession(s.id);
      st.emit('checkout.session.expired', pub);
      return pub;
    },
  },

  // --- payments and refunds
  {
    method: 'GET',
    pattern: /^\/v1\/invoice_payments$/,
    run: (st, { params }) => {
      const invoice = required(str(params.invoice), 'invoice');
      const inv = st.get(st.invoices, 'invoice', invoice, 'invoice');
      const p = invoicePaymentObject(st, inv);
      return list('/v1/invoice_payments', p ? [p] : [], int(params.limit) ?? 10);
    },
  },
  { method: 'GET', pattern: /^\/v1\/invoices\/([^/]+)$/, run: (st, _r, m) => st.get(st.invoices, 'invoice', m[1]!) },
  {
    method: 'POST',
    pattern: /^\/v1\/refunds$/,
    run: (st, { params }) => {
      if (params.charge !== undefined && params.payment_intent === undefined) {
        const pi = [...st.payments.values()].find((p) => p.charge === str(params.charge));
        if (!pi) throw invalid(`No such charge: '${str(params.charge)}'`, 'charge');
        params.payment_intent = pi.id;
      }
      return createRefund(st, {
        paymentIntent: required(str(params.payment_intent), 'payment_intent'),
        amount: int(params.amount),
        reason: str(params.reason),
        metadata: metadataOf(params.metadata),
      });
    },
  },
  { method: 'GET', pattern: /^\/v1\/refunds\/([^/]+)$/, run: (st, _r, m) => st.get(st.refunds, 'refund', m[1]!) },

  // --- subscriptions
  {
    method: 'GET',
    pattern: /^\/v1\/subscriptions$/,
    run: (st, { params }) => {
      const customer = str(params.customer);
      const status = str(params.status);
      const all = [...st.subscriptions.values()]
        .filter((s) => !customer || s.customer === customer)
        .filter((s) => (status === 'all' ? true : status ? s.status === status : s.status !== 'canceled'))
        .reverse();
      return list('/v1/subscriptions', all, int(params.limit) ?? 10);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/subscriptions\/([^/]+)$/,
    run: (st, _r, m) => st.get(st.subscriptions, 'subscription', m[1]!),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/subscriptions\/([^/]+)$/,
    run: (st, { params }, m) => {
      const sub = st.get(st.subscriptions, 'subscription', m[1]!);
      const cancel = bool(params.cancel_at_period_end);
      if (params.cancel_at_period_end !== undefined && cancel === undefined)
        throw invalid('Invalid boolean: cancel_at_period_end', 'cancel_at_period_end');
      return updateSubscription(st, sub, {
        cancel_at_period_end: cancel,
        metadata: params.metadata ? metadataOf(params.metadata) : undefined,
      });
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/subscriptions\/([^/]+)$/,
    run: (st, _r, m) => {
      const sub = st.get(st.subscriptions, 'subscription', m[1]!);
      cancelSubscriptionNow(st, sub, st.nowS());
      return sub;
    },
  },

  // --- subscription schedules
  {
    method: 'POST',
    pattern: /^\/v1\/subscription_schedules$/,
    run: (st, { params }) => {
      const from = str(params.from_subscription);
      if (!from)
        throw invalid(
          'Only schedules created from an existing subscription (from_subscription) are emulated.',
          'from_subscription',
        );
      const other = Object.keys(params).find((k) => k !== 'from_subscription' && k !== 'expand');
      if (other) throw invalid(`You cannot set \`${other}\` if \`from_subscription\` is set.`, other);
      return scheduleFromSubscription(st, st.get(st.subscriptions, 'subscription', from, 'from_subscription'));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/subscription_schedules\/([^/]+)$/,
    run: (st, _r, m) => st.get(st.schedules, 'subscription schedule', m[1]!),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/subscription_schedules\/([^/]+)$/,
    run: (st, { params }, m) => {
      const sched = st.get(st.schedules, 'subscription schedule', m[1]!);
      if (params.phases === undefined) return sched;
      setSchedulePhases(st, sched, parsePhases(st, arr(params.phases)), str(params.end_behavior) as never);
      return sched;
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/subscription_schedules\/([^/]+)\/release$/,
    run: (st, _r, m) => {
      const sched = st.get(st.schedules, 'subscription schedule', m[1]!);
      releaseSchedule(st, sched);
      return sched;
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/subscription_schedules\/([^/]+)\/cancel$/,
    run: (st, _r, m) => {
      const sched = st.get(st.schedules, 'subscription schedule', m[1]!);
      const sub = sched.subscription ? st.subscriptions.get(sched.subscription) : undefined;
      if (sub) cancelSubscriptionNow(st, sub, st.nowS()); // canceling a schedule cancels its subscription
      return sched;
    },
  },

  // --- billing portal
  {
    method: 'POST',
    pattern: /^\/v1\/billing_portal\/sessions$/,
    run: (st, { params, baseUrl }) => {
      const customer = required(str(params.customer), 'customer');
      st.get(st.customers, 'customer', customer, 'customer');
      const id = newId('bps');
      const s = {
        id,
        object: 'billing_portal.session' as const,
        customer,
        return_url: str(params.return_url) ?? null,
        url: `${baseUrl}/portal/${id}`,
        created: st.nowS(),
        livemode: false as const,
      };
      st.portalSessions.set(id, s);
      return s;
    },
  },

  // --- events
  {
    method: 'GET',
    pattern: /^\/v1\/events$/,
    run: (st, { params }) => {
      const types = [str(params.type), ...arr(params.types).map((t) => str(t))].filter(Boolean);
      const all = st.events
        .filter((e) => !types.length || types.includes(e.type))
        .slice()
        .reverse();
      return list('/v1/events', all, int(params.limit) ?? 10);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/events\/([^/]+)$/,
    run: (st, _r, m) => {
      const e = st.events.find((x) => x.id === m[1]);
      if (!e) throw new ApiError(404, 'invalid_request_error', `No such event: '${m[1]}'`, 'id', 'resource_missing');
      return e;
    },
  },
];

function parsePhases(st: StripeState, raw: ReturnType<typeof arr>): SchedulePhase[] {
  const phases: SchedulePhase[] = [];
  raw.forEach((p, i) => {
    const po = obj(p);
    const items = arr(po.items).map((it, j) => {
      const price = required(str(obj(it).price), `phases[${i}][items][${j}][price]`);
      st.get(st.prices, 'price', price, `phases[${i}][items][${j}][price]`);
      return { price, quantity: int(obj(it).quantity) ?? 1, metadata: {} };
    });
    if (!items.length) throw invalid(`Missing required param: phases[${i}][items].`, `phases[${i}][items]`);
    const prevEnd = phases[i - 1]?.end_date;
    const start = int(po.start_date) ?? prevEnd ?? st.nowS();
    if (prevEnd != null && start !== prevEnd)
      throw invalid(`phases[${i}][start_date] must equal the previous phase's end_date.`, `phases[${i}][start_date]`);
    const dur = obj(po.duration);
    const durInterval = str(dur.interval) as 'day' | 'week' | 'month' | 'year' | undefined;
    if (po.iterations !== undefined)
      throw invalid(
        `Received unknown parameter: phases[${i}][iterations]. Use \`duration\` instead.`,
        `phases[${i}][iterations]`,
      );
    const end =
      int(po.end_date) ??
      (durInterval
        ? addInterval(start, { interval: durInterval, interval_count: int(dur.interval_count) ?? 1 })
        : null);
    if (end === null && i < raw.length - 1)
      throw invalid(`phases[${i}] needs an end_date or a duration.`, `phases[${i}][end_date]`);
    phases.push({ start_date: start, end_date: end, items, metadata: {}, proration_behavior: 'create_prorations' });
  });
  if (!phases.length) throw invalid('phases must not be empty.', 'phases');
  return phases;
}

export function routeApi(st: StripeState, req: ApiRequest): unknown {
  for (const r of ROUTES) {
    if (r.method !== req.method) continue;
    const m = r.pattern.exec(req.path);
    if (m) return clone(r.run(st, req, m));
  }
  throw new ApiError(
    404,
    'invalid_request_error',
    `Unrecognized request URL (${req.method}: ${req.path}). This emulator implements only the calls the app makes.`,
  );
}
