// /api/auth/*: better-auth behind the body cap, with the client IP its rate limiter keys on resolved
// by our one rule (client-ip.ts) rather than by whatever forwarding header a client sends.
import type { AppDeps } from '../app-deps';
import { BODY_LIMITS, type Handler, withBodyLimit } from './body-limit';
import { withClientIpHeader } from './client-ip';

export function createAuthHandler(deps: Pick<AppDeps, 'auth' | 'config'>): Handler {
  return withBodyLimit(BODY_LIMITS.auth, async (req) =>
    deps.auth.handler(await withClientIpHeader(req, deps.config.TRUSTED_PROXY_HEADER)),
  );
}
