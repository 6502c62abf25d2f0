// Every HTTP route of the app, once: its path as Next's route folder spells it (under src/app), the
// methods its route.ts exports, and the handler it dispatches to. The test server routes by this
// table, the in-process scheduler takes its jobs from it, and test/server/route-table.test.ts checks
// it against the route files on disk (each file is in the table with the same methods, and back).

type Method = 'GET' | 'POST';

export const ROUTES = [
  { path: '/api/trpc/[trpc]', methods: ['GET', 'POST'], handler: 'trpc' },
  { path: '/api/auth/[...all]', methods: ['GET', 'POST'], handler: 'auth' },
  { path: '/api/health', methods: ['GET'], handler: 'health' },
  { path: '/api/stripe/webhook', methods: ['POST'], handler: 'stripeWebhook' },
  {
    path: '/api/cron/billing-lifecycle',
    methods: ['GET', 'POST'], // GET: Vercel Cron (vercel.json)
    handler: 'cronBillingLifecycle',
    cron: 'billing-lifecycle',
  },
  {
    path: '/api/cron/reconcile-instances',
    methods: ['GET', 'POST'], // GET: Vercel Cron (vercel.json)
    handler: 'cronReconcileInstances',
    cron: 'reconcile-instances',
  },
] as const satisfies ReadonlyArray<{ path: string; methods: readonly Method[]; handler: string; cron?: string }>;

type Route = (typeof ROUTES)[number];
export type RouteHandlerName = Route['handler'];

/** The path of the route served by `handler` (for logs and callers that need the URL). */
export function pathOf(handler: RouteHandlerName): string {
  const route = ROUTES.find((r) => r.handler === handler);
  if (!route) throw new Error(`no route for handler ${handler}`);
  return route.path;
}

/** Whether `pathname` is served by a route folder path: `[x]` is one segment, `[...x]` one or more. */
function pathMatches(routePath: string, pathname: string): boolean {
  const want = routePath.split('/').filter(Boolean);
  const got = pathname.split('/').filter(Boolean);
  for (const [i, seg] of want.entries()) {
    if (seg.startsWith('[...')) return got.length > i;
    if (got[i] === undefined) return false;
    if (!seg.startsWith('[') && seg !== got[i]) return false;
  }
  return got.length === want.length;
}

/** The route serving `pathname`, or null (404). */
export const findRoute = (pathname: string): Route | null => ROUTES.find((r) => pathMatches(r.path, pathname)) ?? null;

/** Every cron job: the routes the scheduler calls. */
export const CRON_ROUTES = ROUTES.filter((r): r is Extract<Route, { cron: string }> => 'cron' in r);
