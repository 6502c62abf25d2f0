// Starting a purchase: a Stripe Checkout session for a plan (subscription mode) or for earlybird
// access (payment mode). Nothing is written for the purchase itself: the webhook records what was paid.
import { and, eq, isNull } from 'drizzle-orm';
import { kiloclawSubscriptions } from '@/db/schema';
import { type BillingDeps, type BillingUser, billingPageUrl } from './billing-deps';
import { EarlybirdAlreadyOwned, SubscriptionConflict } from './errors';
import { type Plan, priceIdForPlan } from './plans';
import { callStripe, requireStripe } from './stripe-call';
import { isPaying } from './stripe-status';
import { findSubscription, latestEarlybirdExpiry, type SubscriptionRow } from './subscription-store';

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
  const session = await callStripe(deps.logger, 'checkout.sessions.create', () =>
    stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      client_reference_id: user.id,
      line_items: [{ price: priceIdForPlan(deps.config, plan), quantity: 1 }],
      // Session metadata stays on the session; the subscription's own metadata is what its events carry.
      metadata: { userId: user.id, plan },
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
  if (earlybirdExpiresAt && earlybirdExpiresAt > deps.clock.now()) throw EarlybirdAlreadyOwned();
  if (isPaying(row?.status)) throw SubscriptionConflict();
  const stripe = requireStripe(deps.stripe);
  const customer = await ensureCustomer(deps, user, row);
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
