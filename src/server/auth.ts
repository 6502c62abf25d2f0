// Accounts: email + password through better-auth, sessions stored in PostgreSQL via Drizzle.
// Sign-up sends a "confirm your address" mail; a free trial or an instance waits for that (trpc.ts).
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import type { Db } from '@/db/client';
import { authAccounts, authRateLimits, authSessions, authVerifications, users } from '@/db/schema';
import type { Logger } from '@/platform/logger';
import { accountInputProblem } from './account-input';
import { CLIENT_IP_HEADER } from './http/client-ip';

export type Auth = ReturnType<typeof createAuth>;

export type SessionUser = { id: string; email: string; name: string; emailVerified: boolean };

/** How long a confirmation link works: a day covers "I'll read my mail tonight". */
const VERIFICATION_LINK_TTL_S = 24 * 60 * 60;

export function createAuth(opts: {
  db: Db;
  secret: string;
  baseURL: string;
  /** origins allowed to call the auth routes (see ../origins.ts); baseURL's own origin when unset */
  trustedOrigins?: string[];
  production: boolean;
  /** per-IP limits on the auth routes, counted in PostgreSQL (default: on in production) */
  rateLimit?: boolean;
  /** delivers the confirmation link; without it no mail is sent (the demo seed) */
  sendVerificationEmail?: (user: { email: string; name: string }, url: string) => Promise<void>;
  /** better-auth's own messages (a failed query with its parameters) go to our JSON log, not to stdout */
  logger?: Logger;
}) {
  const send = opts.sendVerificationEmail;
  const logger = opts.logger?.child({ module: 'auth' });
  return betterAuth({
    appName: 'KiloClaw',
    secret: opts.secret,
    baseURL: opts.baseURL,
    basePath: '/api/auth',
    trustedOrigins: opts.trustedOrigins,
    database: drizzleAdapter(opts.db, {
      provider: 'pg',
      schema: {
        user: users,
        session: authSessions,
        account: authAccounts,
        verification: authVerifications,
        rateLimit: authRateLimits,
      },
    }),
    // unverified people may still sign in (and pay); the trial and the instance check emailVerified
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 128, autoSignIn: true },
    emailVerification: send
      ? {
          sendOnSignUp: true,
          autoSignInAfterVerification: true,
          expiresIn: VERIFICATION_LINK_TTL_S,
          sendVerificationEmail: ({ user, url }) => send(user, url),
        }
      : undefined,
    // a mistyped address can be corrected before it is confirmed; the new one gets its own link
    user: { changeEmail: { enabled: true, updateEmailWithoutVerification: true } },
    session: { expiresIn: 60 * 60 * 24 * 30, updateAge: 60 * 60 * 24 },
    advanced: {
      useSecureCookies: opts.baseURL.startsWith('https://'),
      // only the address our auth handler resolved (http/client-ip.ts), never a header a client chose
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    rateLimit: { enabled: opts.rateLimit ?? opts.production, storage: 'database' },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        const problem = accountInputProblem(ctx.path, ctx.body);
        if (problem) throw new APIError('BAD_REQUEST', { message: problem, code: 'INPUT_TOO_LONG' });
      }),
    },
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
  const u = session.user;
  return { id: u.id, email: u.email, name: u.name, emailVerified: u.emailVerified };
}
