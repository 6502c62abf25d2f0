// Every HTTP entry point of the app, built from one set of deps. Next's route files and the test
// server both dispatch into this, so tests exercise the same handlers over real HTTP.
import type { AppDeps } from '../app-deps';
import { createCronLifecycleHandler } from './cron-lifecycle-handler';
import { createCronReconcileHandler } from './cron-reconcile-instances-handler';
import { createHealthHandler } from './health-handler';
import { findRoute, type RouteHandlerName } from './routes';
import { createStripeWebhookHandler } from './stripe-webhook-handler';
import { createTrpcHandler } from './trpc-handler';

export type Handler = (req: Request) => Promise<Response>;

export type AppHandlers = Record<RouteHandlerName, Handler>;

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

/** Dispatches by the route table (routes.ts), as Next's file routes do; used by the test server. */
export function routeRequest(h: AppHandlers, req: Request): Promise<Response> {
  const route = findRoute(new URL(req.url).pathname);
  if (!route) return Promise.resolve(Response.json({ error: 'Not found' }, { status: 404 }));
  // like Next, a method the route file does not export is refused before any handler runs
  if (!(route.methods as readonly string[]).includes(req.method)) {
    return Promise.resolve(
      Response.json(
        { error: `Use ${route.methods.join(' or ')}.` },
        { status: 405, headers: { allow: route.methods.join(', ') } },
      ),
    );
  }
  return h[route.handler](req);
}
