// POST /api/stripe/webhook: hands the raw body and signature to billing/webhooks and maps the outcome.
import { processStripeWebhook } from '@/billing/webhooks/process-event';
import type { AppDeps } from '../app-deps';

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
    // raw text: re-serialised JSON would not match the signature. Already capped in bytes (body-limit.ts).
    const raw = await req.text();
    const outcome = await processStripeWebhook(webhookDeps, raw, req.headers.get('stripe-signature'));
    return Response.json(outcome.body, { status: outcome.status });
  };
}
