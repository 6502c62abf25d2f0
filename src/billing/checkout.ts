// Starting a purchase: a Stripe Checkout session for a plan (subscription mode) or for earlybird
// access (payment mode). Nothing is written for the purchase itself: the webhook records what was paid.
import { and, eq, isNull } from 'drizzle-orm';
import Stripe from 'stripe';
import { kiloclawSubscriptions } from '@/db/schema';
import { type BillingConfig, type BillingDeps, type BillingUser, billingPageUrl } from './billing-deps';
import { EarlybirdAlreadyOwned, EarlybirdClosed, EarlybirdPaymentPending, SubscriptionConflict } from './errors';
import { type Plan, priceIdForPlan } from './plans';
import { callStripe, requireStripe } from './stripe-call';
import { isPaying } from './stripe-status';
import { findSubscription, latestEarlybirdExpiry, type SubscriptionRow } from './subscription-store';

/** Earlybird is sold until the date its access ends (a purchase after it would grant nothing). */
export const earlybirdOnSale = (config: Pick<BillingConfig, 'EARLYBIRD_EXPIRES_AT'>, now: Date) =>
  now < new Date(config.EARLYBIRD_EXPIRES_AT);

/** The user's Stripe customer: the one on their row, else one tagged with their id, else a new one. */
async function ensureCustomer(deps: BillingDeps, user: BillingUser, row: SubscriptionRow | null): Promise<string> {
  if (row?.stripeCustomerId) return row.stripeCustomerId;
  const stripe = requireStripe(deps.stripe);
  // A user who opened checkout before but never paid has a customer we did not record (no row to put it
  // on): find it by email + our user id rather than creating a duplicate on every click.
  const existing = await callStripe(deps.logger, 'customers.list', () =>
    stripe.customers.list({ email: user.email, limit: 10 }),
  );
  const mine = existing.data.find((c) => c.metadata?.userId === user.id);
  const customer =
    mine ??
    (await callStripe(deps.logger, 'customers.create', () =>
      stripe.customers.create({ email: user.email, metadata: { userId: user.id } }),
    ));
  if (row) {
    await deps.db
      .update(kiloclawSubscriptions)
      .set({ stripeCustomerId: customer.id, updatedAt: deps.clock.now() })
      .where(and(eq(kiloclawSubscriptions.userId, user.id), isNull(kiloclawSubscriptions.stripeCustomerId)));
  }
  return customer.id;
}

type SessionWanted = { mode: 'subscription' | 'payment'; kind: string };

/**
 * The user's open checkout session for the same purchase, if any; every other open session of theirs
 * is expired. Two tabs (or a second click) thus pay through one session, and a session for another
 * purchase can no longer be paid beside it. (A second subscription that still comes to be — two
 * servers racing here — is cancelled and refunded by the webhook.)
 */
async function reuseOpenSession(
  deps: BillingDeps,
  customer: string,
  wanted: SessionWanted,
): Promise<Stripe.Checkout.Session | null> {
  const stripe = requireStripe(deps.stripe);
  const open = await callStripe(deps.logger, 'checkout.sessions.list', () =>
    stripe.checkout.sessions.list({ customer, status: 'open', limit: 10 }),
  );
  let reuse: Stripe.Checkout.Session | null = null;
  for (const s of open.data) {
    if (!s.metadata?.kind) continue; // not opened by this app
    if (!reuse && s.mode === wanted.mode && s.metadata.kind === wanted.kind && s.url) {
      reuse = s;
      continue;
    }
    const id = s.id;
    await callStripe(deps.logger, 'checkout.sessions.expire', async () => {
      try {
        await stripe.checkout.sessions.expire(id);
      } catch (err) {
        // paid or expired meanwhile: it is no longer open, which is all we wanted
        if (!(err instanceof Stripe.errors.StripeInvalidRequestError)) throw err;
      }
    });
  }
  return reuse;
}

export async function createSubscriptionCheckout(
  deps: BillingDeps,
  user: BillingUser,
  plan: Plan,
): Promise<{ url: string }> {
  const row = await findSubscription(deps.db, user.id);
  // Allowed after a cancel (status canceled/unpaid) and from a trial; refused while already paying.
  if (isPaying(row?.status)) throw SubscriptionConflict();
  const stripe = requireStripe(deps.stripe);
  const customer = await ensureCustomer(deps, user, row);
  const open = await reuseOpenSession(deps, customer, { mode: 'subscription', kind: `plan:${plan}` });
  if (open?.url) return { url: open.url };
  const session = await callStripe(deps.logger, 'checkout.sessions.create', () =>
    stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      client_reference_id: user.id,
      line_items: [{ price: priceIdForPlan(deps.config, plan), quantity: 1 }],
      // Session metadata stays on the session; the subscription's own metadata is what its events carry.
      metadata: { userId: user.id, plan, kind: `plan:${plan}` },
      subscription_data: { metadata: { userId: user.id, plan } },
      success_url: billingPageUrl(deps.config, '?checkout=success&session_id={CHECKOUT_SESSION_ID}'),
      cancel_url: billingPageUrl(deps.config, '?checkout=canceled'),
    }),
  );
  if (!session.url) throw new Error(`checkout session ${session.id} has no url`);
  return { url: session.url };
}

export async function createEarlybirdCheckout(deps: BillingDeps, user: BillingUser): Promise<{ url: string }> {
  const [row, earlybirdExpiresAt] = await Promise.all([
    findSubscription(deps.db, user.id),
    latestEarlybirdExpiry(deps.db, user.id),
  ]);
  const now = deps.clock.now();
  if (earlybirdExpiresAt && earlybirdExpiresAt > now) throw EarlybirdAlreadyOwned();
  if (!earlybirdOnSale(deps.config, now)) throw EarlybirdClosed();
  if (isPaying(row?.status)) throw SubscriptionConflict();
  const stripe = requireStripe(deps.stripe);
  const customer = await ensureCustomer(deps, user, row);
  // A bank debit of an earlier session still settling: paying again would pay twice.
  const done = await callStripe(deps.logger, 'checkout.sessions.list', () =>
    stripe.checkout.sessions.list({ customer, status: 'complete', limit: 10 }),
  );
  if (done.data.some((s) => s.metadata?.kind === 'earlybird' && s.payment_status === 'unpaid'))
    throw EarlybirdPaymentPending();
  const open = await reuseOpenSession(deps, customer, { mode: 'payment', kind: 'earlybird' });
  if (open?.url) return { url: open.url };
  const session = await callStripe(deps.logger, 'checkout.sessions.create', () =>
    stripe.checkout.sessions.create({
      mode: 'payment',
      customer,
      client_reference_id: user.id,
      line_items: [{ price: deps.config.STRIPE_PRICE_EARLYBIRD, quantity: 1 }],
      metadata: { userId: user.id, kind: 'earlybird' },
      success_url: billingPageUrl(deps.config, '?checkout=success&session_id={CHECKOUT_SESSION_ID}'),
      cancel_url: billingPageUrl(deps.config, '?checkout=canceled'),
    }),
  );
  if (!session.url) throw new Error(`checkout session ${session.id} has no url`);
  return { url: session.url };
}
