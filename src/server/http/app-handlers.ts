// Every HTTP entry point of the app, built from one set of deps. Next's route files and the test
// server both dispatch into this, so tests exercise the same handlers over real HTTP.
import type { AppDeps } from '../app-deps';
import { createAuthHandler } from './auth-handler';
import { BODY_LIMITS, type Handler, withBodyLimit } from './body-limit';
import { createCronLifecycleHandler } from './cron-lifecycle-handler';
import { createCronReconcileHandler } from './cron-reconcile-instances-handler';
import { createDevMailHandler } from './dev-mail-handler';
import { createHealthHandler } from './health-handler';
import { createStripeWebhookHandler } from './stripe-webhook-handler';
import { createTrpcHandler } from './trpc-handler';

export type { Handler };

export type AppHandlers = {
  trpc: Handler;
  auth: Handler;
  health: Handler;
  stripeWebhook: Handler;
  cronBillingLifecycle: Handler;
  cronReconcileInstances: Handler;
  devMail: Handler;
};

export function createAppHandlers(deps: AppDeps): AppHandlers {
  return {
    // every door that reads a body reads it with a byte cap (body-limit.ts)
    trpc: withBodyLimit(BODY_LIMITS.trpc, createTrpcHandler(deps)),
    auth: createAuthHandler(deps),
    health: createHealthHandler(deps),
    stripeWebhook: withBodyLimit(BODY_LIMITS.stripeWebhook, createStripeWebhookHandler(deps)),
    cronBillingLifecycle: withBodyLimit(BODY_LIMITS.cron, createCronLifecycleHandler(deps)),
    cronReconcileInstances: withBodyLimit(BODY_LIMITS.cron, createCronReconcileHandler(deps)),
    devMail: createDevMailHandler(deps),
  };
}

/** Path → handler, as Next's file routes lay it out; used by the test server. */
export function routeRequest(h: AppHandlers, req: Request): Promise<Response> {
  const { pathname } = new URL(req.url);
  if (pathname.startsWith('/api/trpc/')) return h.trpc(req);
  if (pathname.startsWith('/api/auth/')) return h.auth(req);
  if (pathname === '/api/health') return h.health(req);
  if (pathname === '/api/stripe/webhook') return h.stripeWebhook(req);
  if (pathname === '/api/cron/billing-lifecycle') return h.cronBillingLifecycle(req);
  if (pathname === '/api/cron/reconcile-instances') return h.cronReconcileInstances(req);
  if (pathname === '/api/dev/mail') return h.devMail(req);
  return Promise.resolve(Response.json({ error: 'Not found' }, { status: 404 }));
}
