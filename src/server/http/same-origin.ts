// Cross-site request forgery: a browser sends a "simple" POST (multipart/form-data, text/plain) to any
// site, with that site's cookies and without asking first. So state-changing requests of the browser
// routes (tRPC, auth) answer only same-origin callers. Browsers say where a request comes from
// (Sec-Fetch-Site, Origin); a request with neither is not a browser's (a script, a server) and carries
// no ambient cookie of a victim, so it passes.
type Handler = (req: Request) => Promise<Response>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why this request is refused, or null when it may go on. */
function crossSiteRefusal(req: Request, trusted: readonly string[]): string | null {
  if (SAFE_METHODS.has(req.method)) return null;
  const site = req.headers.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return `sec-fetch-site: ${site}`;
  const origin = req.headers.get('origin');
  if (origin !== null && !trusted.includes(origin)) return 'foreign origin';
  return null;
}

export function sameOriginOnly(
  handler: Handler,
  trusted: readonly string[],
  log: { warn: (obj: object, msg: string) => void },
): Handler {
  return async (req) => {
    const refusal = crossSiteRefusal(req, trusted);
    if (!refusal) return handler(req);
    log.warn(
      { path: new URL(req.url).pathname, refusal, origin: req.headers.get('origin') },
      'cross-site request refused',
    );
    return Response.json(
      {
        code: 'FORBIDDEN',
        message: 'This request came from another site and was refused. Use KiloClaw from its own address.',
      },
      { status: 403, headers: { 'cache-control': 'no-store' } },
    );
  };
}
