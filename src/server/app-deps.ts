// The composition root: builds every collaborator the handlers need from config + a database.
// Tests call createAppDeps with their own database, clock and emulator URLs; nothing here is global.
import type { Db } from '@/db/client';
import type { Clock } from '@/platform/clock';
import { systemClock } from '@/platform/clock';
import type { Config } from '@/platform/config';
import { createLogger, type Logger } from '@/platform/logger';
import { createMailer, type Mailer } from '@/platform/mailer';
import { createAuth, type Auth } from './auth';
import { recordingInstanceActions, type InstanceActions } from '@/billing/ports';
import { createStripeClient, type StripeClient } from '@/billing/stripe-client';

export type AppDeps = {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  auth: Auth;
  /** stop/destroy/resume of a user's instance, used by the webhook and the cron (port; see billing/ports.ts) */
  instanceActions: InstanceActions;
  // --- billing (issue 3): stripe client etc. are added below this line
  /** Stripe SDK client (Stripe or the local emulator, by STRIPE_API_BASE); null when STRIPE_SECRET_KEY is unset */
  stripe: StripeClient | null;
  // --- cron (issue 4): mailer etc. are added below this line
  /** SMTP when SMTP_URL is set, the log otherwise (development); see platform/mailer.ts */
  mailer: Mailer;
  // --- instances (issue 6): instance service, provider, pairing are added below this line
};

export type AppDepsInput = {
  config: Config;
  db: Db;
  logger?: Logger;
  clock?: Clock;
  instanceActions?: InstanceActions;
  mailer?: Mailer;
};

export function createAppDeps(input: AppDepsInput): AppDeps {
  const { config, db } = input;
  const logger = input.logger ?? createLogger({ level: config.LOG_LEVEL });
  const clock = input.clock ?? systemClock;
  if (!config.AUTH_SECRET) throw new Error('AUTH_SECRET is not set (npm start generates one on the embedded default).');
  const auth = createAuth({
    db,
    secret: config.AUTH_SECRET,
    baseURL: config.appUrl,
    production: config.isProduction,
  });
  return {
    config,
    db,
    logger,
    clock,
    auth,
    instanceActions: input.instanceActions ?? recordingInstanceActions(),
    stripe: config.STRIPE_SECRET_KEY
      ? createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE })
      : null,
    mailer: input.mailer ?? createMailer(config, logger),
  };
}
