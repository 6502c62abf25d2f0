// Accounts: email + password through better-auth, sessions stored in PostgreSQL via Drizzle.
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import type { Db } from '@/db/client';
import { authAccounts, authSessions, authVerifications, users } from '@/db/schema';
import type { Logger } from '@/platform/logger';

export type Auth = ReturnType<typeof createAuth>;

export type SessionUser = { id: string; email: string; name: string };

export function createAuth(opts: {
  db: Db;
  secret: string;
  baseURL: string;
  /** origins allowed to call the auth routes (see ../origins.ts); baseURL's own origin when unset */
  trustedOrigins?: string[];
  production: boolean;
  /** better-auth's own messages (a failed query with its parameters) go to our JSON log, not to stdout */
  logger?: Logger;
}) {
  const logger = opts.logger?.child({ module: 'auth' });
  return betterAuth({
    appName: 'KiloClaw',
    secret: opts.secret,
    baseURL: opts.baseURL,
    basePath: '/api/auth',
    trustedOrigins: opts.trustedOrigins,
    database: drizzleAdapter(opts.db, {
      provider: 'pg',
      schema: { user: users, session: authSessions, account: authAccounts, verification: authVerifications },
    }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 128, autoSignIn: true },
    session: { expiresIn: 60 * 60 * 24 * 30, updateAge: 60 * 60 * 24 },
    advanced: { useSecureCookies: opts.baseURL.startsWith('https://') },
    rateLimit: { enabled: opts.production },
    telemetry: { enabled: false },
    ...(logger
      ? {
          logger: {
            log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, ...args: unknown[]) => {
              const err = args.find((a) => a instanceof Error);
              logger[level](err ? { err } : {}, message);
            },
          },
        }
      : {}),
  });
}

export async function sessionUser(auth: Auth, headers: Headers): Promise<SessionUser | null> {
  const session = await auth.api.getSession({ headers });
  if (!session) return null;
  return { id: session.user.id, email: session.user.email, name: session.user.name };
}
