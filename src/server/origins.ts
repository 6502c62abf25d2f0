// Which browser origins may call the app's mutations and auth routes. Production trusts APP_URL only.
// In development the loopback aliases of the printed URL are the same machine: a person who opens
// http://127.0.0.1:3000 instead of http://localhost:3000 must be able to sign up.
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export function trustedOrigins(config: { appUrl: string; isProduction: boolean }): string[] {
  const app = new URL(config.appUrl);
  if (config.isProduction || !LOOPBACK_HOSTS.includes(app.hostname)) return [app.origin];
  const port = app.port ? `:${app.port}` : '';
  return [app.origin, ...LOOPBACK_HOSTS.map((h) => `${app.protocol}//${h}${port}`).filter((o) => o !== app.origin)];
}
