// Every HTTP entry point of the app, built from one set of deps. Next's route files and the test
// server both dispatch into this, so tests exercise the same handlers over real HTTP.
import type { AppDeps } from '../app-deps';
import { trustedOrigins } from '../origins';
import { createAuthHandler } from './auth-handler';
import { BODY_LIMITS, type Handler, withBodyLimit } from './body-limit';
import { createCronLifecycleHandler } from './cron-lifecycle-handler';
import { createCronReconcileHandler } from './cron-reconcile-instances-handler';
import { createDevMailHandler } from './dev-mail-handler';
import { createHealthHandler } from './health-handler';
import { hidingInternalErrors } from './internal-errors';
import { findRoute, type RouteHandlerName } from './routes';
import { sameOriginOnly } from './same-origin';
import { createStripeWebhookHandler } from './stripe-webhook-handler';
import { createTrpcHandler } from './trpc-handler';

export type AppHandlers = Record<RouteHandlerName, Handler>;

export function createAppHandlers(deps: AppDeps): AppHandlers {
  // the browser routes take mutations from the app's own pages only; Stripe and the scheduler send no Origin
  const origins = trustedOrigins(deps.config);
  const browserOnly = (h: Handler) => sameOriginOnly(h, origins, deps.logger);
  return {
    // every door that reads a body reads it with a byte cap (body-limit.ts); browser doors refuse
    // cross-site mutations; no door answers with internal detail
    trpc: hidingInternalErrors('trpc', browserOnly(withBodyLimit(BODY_LIMITS.trpc, createTrpcHandler(deps))), deps),
    auth: hidingInternalErrors('auth', browserOnly(createAuthHandler(deps)), deps, { rewrite5xxBodies: true }),
    health: hidingInternalErrors('health', createHealthHandler(deps), deps),
    stripeWebhook: hidingInternalErrors(
      'stripe-webhook',
      withBodyLimit(BODY_LIMITS.stripeWebhook, createStripeWebhookHandler(deps)),
      deps,
    ),
    cronBillingLifecycle: hidingInternalErrors(
      'cron-lifecycle',
      withBodyLimit(BODY_LIMITS.cron, createCronLifecycleHandler(deps)),
      deps,
    ),
    cronReconcileInstances: hidingInternalErrors(
      'cron-reconcile',
      withBodyLimit(BODY_LIMITS.cron, createCronReconcileHandler(deps)),
      deps,
    ),
    devMail: hidingInternalErrors('dev-mail', createDevMailHandler(deps), deps),
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
