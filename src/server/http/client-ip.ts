// Who is calling, for rate limits: the one place that decides a request's client IP. A header any
// client can send is never believed unless the operator named it (TRUSTED_PROXY_HEADER: the header
// their proxy sets, replacing the client's). Unset, the TCP peer is the client: the server in front
// of the handlers (scripts/start.ts, the test server) writes the socket address into
// SOCKET_ADDRESS_HEADER, overwriting whatever a client sent under that name.
import { isIP } from 'node:net';

/** Set by our own HTTP server from the socket; never trusted from anywhere else. */
export const SOCKET_ADDRESS_HEADER = 'x-kiloclaw-socket-address';
/** The resolved client IP, written by us just before better-auth reads it (its `ipAddressHeaders`). */
export const CLIENT_IP_HEADER = 'x-kiloclaw-client-ip';

/** IPv4 peers arrive as `::ffff:1.2.3.4` on a dual-stack socket; rate limits should see one address. */
function normalise(ip: string): string | null {
  const v = ip.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  return isIP(v) ? v : null;
}

export function clientIp(headers: Headers, trustedProxyHeader: string | undefined): string | null {
  if (!trustedProxyHeader) return normalise(headers.get(SOCKET_ADDRESS_HEADER) ?? '');
  const value = headers.get(trustedProxyHeader);
  if (!value) return null;
  // a list (X-Forwarded-For) grows to the right: its last entry is the address our proxy saw
  const entries = value.split(',');
  return normalise(entries[entries.length - 1] ?? '');
}

/** The request with CLIENT_IP_HEADER set to the resolved address (or removed when there is none). */
export async function withClientIpHeader(req: Request, trustedProxyHeader: string | undefined): Promise<Request> {
  const headers = new Headers(req.headers);
  const ip = clientIp(req.headers, trustedProxyHeader);
  if (ip) headers.set(CLIENT_IP_HEADER, ip);
  else headers.delete(CLIENT_IP_HEADER);
  const bodyless = req.method === 'GET' || req.method === 'HEAD';
  return new Request(req.url, {
    method: req.method,
    headers,
    body: bodyless ? undefined : await req.arrayBuffer(),
    redirect: 'manual',
  });
}
