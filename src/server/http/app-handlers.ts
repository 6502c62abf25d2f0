// Every HTTP entry point of the app, built from one set of deps. Next's route files and the test
// server both dispatch into this, so tests exercise the same handlers over real HTTP.
import type { AppDeps } from '../app-deps';
import { createCronLifecycleHandler } from './cron-lifecycle-handler';
import { createCronReconcileHandler } from './cron-reconcile-instances-handler';
import { createHealthHandler } from './health-handler';
import { createStripeWebhookHandler } from './stripe-webhook-handler';
import { createTrpcHandler } from './trpc-handler';

export type Handler = (req: Request) => Promise<Response>;

export type AppHandlers = {
  trpc: Handler;
  auth: Handler;
  health: Handler;
  stripeWebhook: Handler;
  cronBillingLifecycle: Handler;
  cronReconcileInstances: Handler;
};

export function createAppHandlers(deps: AppDeps): AppHandlers {
  return {
    trpc: createTrpcHandler(deps),
    auth: (req) => deps.auth.handler(req),
    health: createHealthHandler(deps),
    stripeWebhook: createStripeWebhookHandler(deps),
    cronBillingLifecycle: createCronLifecycleHandler(deps),
    cronReconcileInstances: createCronReconcileHandler(deps),
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
  return Promise.resolve(Response.json({ error: 'Not found' }, { status: 404 }));
}
