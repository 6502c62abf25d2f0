// The composition root: builds every collaborator the handlers need from config + a database.
// Tests call createAppDeps with their own database, clock and emulator URLs; nothing here is global.

import type { InstanceActions } from '@/billing/ports';
import { createStripeClient, type StripeClient } from '@/billing/stripe-client';
import type { Db } from '@/db/client';
import { type ChannelService, createChannelService } from '@/instances/channels/channel-service';
import { createTokenCipher } from '@/instances/channels/token-crypto';
import { createInstanceService, type InstanceService } from '@/instances/instance-service';
import { createPairingService, type PairingService } from '@/instances/pairing/pairing-service';
import { providerFromConfig } from '@/instances/providers/from-config';
import type { MachineProvider } from '@/instances/providers/provider';
import type { Clock } from '@/platform/clock';
import { systemClock } from '@/platform/clock';
import { appSecrets, type Config } from '@/platform/config';
import { createLogger, type Logger } from '@/platform/logger';
import { createMailer, type Mailer } from '@/platform/mailer';
import { type Auth, createAuth } from './auth';
import { type DevOutbox, withDevOutbox } from './dev-outbox';
import { verifyEmailMessage } from './emails/verify-email';
import { trustedOrigins } from './origins';

export type AppDeps = {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  auth: Auth;
  /** stop/destroy/resume of a user's instance, used by the webhook and the cron (port; see billing/ports.ts) */
  instanceActions: InstanceActions;
  /** Stripe SDK client (Stripe or the local emulator, by STRIPE_API_BASE); null when STRIPE_SECRET_KEY is unset */
  stripe: StripeClient | null;
  /** SMTP when SMTP_URL is set, the log otherwise (development); see platform/mailer.ts */
  mailer: Mailer;
  /** development and tests only: the mails sent, readable at /dev/mail; null in production */
  devOutbox: DevOutbox | null;
  /** per-IP auth limits and per-user throttles, counted in PostgreSQL (on in production) */
  rateLimits: boolean;
  /** local child processes (embedded default) or Fly machines, by MACHINE_PROVIDER */
  machineProvider: MachineProvider;
  /** start/stop/destroy/reconcile of the caller's own instance */
  instances: InstanceService;
  /** pairing requests: controller first, exec fallback for older controllers */
  pairing: PairingService;
  /** chat channels (Telegram, Discord, Slack) of the caller's own instance */
  channels: ChannelService;
};

export type AppDepsInput = {
  config: Config;
  db: Db;
  logger?: Logger;
  clock?: Clock;
  instanceActions?: InstanceActions;
  mailer?: Mailer;
  machineProvider?: MachineProvider;
  /** how long a start call waits for readiness (default: INSTANCE_START_WAIT_S) */
  startWaitMs?: number;
  /** rate limits and throttles (default: on in production only, as a developer signs in often) */
  rateLimits?: boolean;
};

export function createAppDeps(input: AppDepsInput): AppDeps {
  const { config, db } = input;
  const logger = input.logger ?? createLogger({ level: config.LOG_LEVEL });
  const clock = input.clock ?? systemClock;
  const { authSecret, controllerSecret } = appSecrets(config);
  const transport = input.mailer ?? createMailer(config, logger);
  const dev = config.isProduction ? null : withDevOutbox(transport, clock);
  const mailer = dev?.mailer ?? transport;
  const rateLimits = input.rateLimits ?? config.isProduction;
  if (rateLimits && !config.TRUSTED_PROXY_HEADER) {
    // behind a load balancer the TCP peer is the balancer: every client would share one limit
    logger.warn(
      'rate limits key on the TCP peer address; behind a proxy, set TRUSTED_PROXY_HEADER to the header it sets',
    );
  }
  const auth = createAuth({
    db,
    secret: authSecret,
    baseURL: config.appUrl,
    trustedOrigins: trustedOrigins(config),
    production: config.isProduction,
    rateLimit: rateLimits,
    sendVerificationEmail: async (user, url) => {
      try {
        await mailer.send(verifyEmailMessage(user, url));
      } catch {
        // the transport logged why; the account exists and the Verify page can send the link again
      }
    },
    logger,
  });
  const machineProvider = input.machineProvider ?? providerFromConfig(config, logger);
  const instanceDeps = {
    db,
    clock,
    logger: logger.child({ module: 'instances' }),
    provider: machineProvider,
    controllerSecret,
    // during a rotation (README: Rotating CONTROLLER_SECRET)
    controllerSecretPrevious: config.CONTROLLER_SECRET_PREVIOUS,
  };
  const channels = createChannelService({
    ...instanceDeps,
    cipher: config.CHANNEL_TOKEN_KEYS ? createTokenCipher(config.CHANNEL_TOKEN_KEYS) : null,
    testMessages: !config.isProduction,
  });
  const instances = createInstanceService({
    ...instanceDeps,
    startWaitMs: input.startWaitMs ?? config.INSTANCE_START_WAIT_S * 1000,
    applyChannels: channels.applyTo,
    devTools: !config.isProduction,
  });
  return {
    config,
    db,
    logger,
    clock,
    auth,
    instanceActions: input.instanceActions ?? instances.actions(),
    machineProvider,
    instances,
    pairing: createPairingService(instanceDeps),
    channels,
    stripe: config.STRIPE_SECRET_KEY
      ? createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE })
      : null,
    mailer,
    devOutbox: dev?.outbox ?? null,
    rateLimits,
  };
}
