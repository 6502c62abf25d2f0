// POST /api/stripe/webhook: hands the raw body and signature to billing/webhooks and maps the outcome.
import { processStripeWebhook } from '@/billing/webhooks/process-event';
import type { AppDeps } from '../app-deps';

/** Stripe events are well under this; anything larger is not from Stripe. */
const MAX_BODY_BYTES = 1_000_000;

export function createStripeWebhookHandler(deps: AppDeps) {
  const webhookDeps = {
    db: deps.db,
    stripe: deps.stripe,
    webhookSecret: deps.config.STRIPE_WEBHOOK_SECRET,
    config: deps.config,
    logger: deps.logger.child({ route: 'stripe-webhook' }),
    clock: deps.clock,
    instanceActions: deps.instanceActions,
    mailer: deps.mailer,
  };
  return async (req: Request): Promise<Response> => {
    if (req.method !== 'POST')
      return Response.json({ error: 'Use POST.' }, { status: 405, headers: { allow: 'POST' } });
    const raw = await req.text(); // raw text: re-serialised JSON would not match the signature
    if (raw.length > MAX_BODY_BYTES)
      return Response.json({ received: false, error: 'Body too large.' }, { status: 413 });
    const outcome = await processStripeWebhook(webhookDeps, raw, req.headers.get('stripe-signature'));
    return Response.json(outcome.body, { status: outcome.status });
  };
}
