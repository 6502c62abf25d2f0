// The one place that reads environment variables. Validated once; a bad value names the variable.

import { z } from 'zod';
import { issueText } from './zod-issues';

const bool = z.enum(['true', 'false', '1', '0', 'on', 'off']).transform((v) => v === 'true' || v === '1' || v === 'on');
const optionalUrl = z.url().optional();

const EnvSchema = z.object({
  APP_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  APP_URL: optionalUrl,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: optionalUrl,
  DATA_DIR: z.string().default('.data'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),

  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  DEMO_ACCOUNT: bool.default(true),

  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** e.g. http://127.0.0.1:12111 for the emulator; unset means api.stripe.com */
  STRIPE_API_BASE: optionalUrl,
  STRIPE_PRICE_STANDARD: z.string().min(1).default('price_standard_monthly'),
  STRIPE_PRICE_COMMIT: z.string().min(1).default('price_commit_6mo'),
  STRIPE_PRICE_EARLYBIRD: z.string().min(1).default('price_earlybird'),
  TRIAL_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  EARLYBIRD_EXPIRES_AT: z.iso.datetime({ offset: true }).default('2027-06-30T23:59:59Z'),

  CRON_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** in-process scheduler for the cron endpoints; default on in development, off in production */
  SCHEDULER: bool.optional(),
  SCHEDULER_INTERVAL_S: z.coerce.number().int().min(10).max(86_400).default(300),
  LIFECYCLE_TRIAL_WARNING_DAYS: z.coerce.number().int().min(0).max(30).default(2),
  LIFECYCLE_EARLYBIRD_WARNING_DAYS: z.coerce.number().int().min(0).max(60).default(7),
  LIFECYCLE_PAST_DUE_GRACE_DAYS: z.coerce.number().int().min(0).max(90).default(14),
  LIFECYCLE_DESTRUCTION_WARNING_DAYS: z.coerce.number().int().min(0).max(90).default(5),
  LIFECYCLE_DESTRUCTION_AFTER_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  LIFECYCLE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),

  SMTP_URL: optionalUrl,
  MAIL_FROM: z.string().default('KiloClaw <no-reply@kiloclaw.local>'),

  MACHINE_PROVIDER: z.enum(['local', 'fly']).default('local'),
  FLY_API_TOKEN: z.string().min(1).optional(),
  FLY_API_BASE: z.url().default('https://api.machines.dev'),
  /** the Fly app the instance machines live in (not FLY_APP_NAME: Fly sets that to the running app's own name) */
  FLY_INSTANCES_APP: z.string().optional(),
  /** region of new instance machines and volumes (not FLY_REGION: Fly sets that to the running machine's region) */
  FLY_INSTANCES_REGION: z.string().default('iad'),
  FLY_IMAGE: z.string().optional(),
  /** where a Fly machine's controller answers; {machine_id}, {app}, {private_ip} are filled in */
  FLY_CONTROLLER_URL: z.string().default('http://{machine_id}.vm.{app}.internal:18789'),
  /** how long a start call waits for the machine and its gateway before answering `starting` */
  INSTANCE_START_WAIT_S: z.coerce.number().int().min(0).max(600).default(150),
  /** HMAC key for per-instance controller tokens */
  CONTROLLER_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** during a rotation only: the previous CONTROLLER_SECRET, for machines not yet given the new token */
  CONTROLLER_SECRET_PREVIOUS: z.string().min(32, 'must be at least 32 characters').optional(),
  /** keys of the channel-token encryption, newest first: `id:base64 32 bytes[,older-id:…]` */
  CHANNEL_TOKEN_KEYS: z.string().transform(parseChannelTokenKeys).optional(),

  /** the header your proxy sets to the client's IP (rate limits); unset → the TCP peer's address */
  TRUSTED_PROXY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'must be a header name, e.g. fly-client-ip or x-forwarded-for')
    .transform((v) => v.toLowerCase())
    .optional(),
});

/** One AES-256-GCM key of CHANNEL_TOKEN_KEYS. The first is used to encrypt; any listed one decrypts. */
export type ChannelTokenKey = { id: string; key: Buffer };

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

function parseChannelTokenKeys(text: string, ctx: z.RefinementCtx): ChannelTokenKey[] {
  const keys: ChannelTokenKey[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(':');
    const id = part.slice(0, colon);
    const key = Buffer.from(part.slice(colon + 1), 'base64');
    if (colon < 1 || !KEY_ID.test(id) || key.length !== 32) {
      ctx.addIssue({
        code: 'custom',
        message: 'each entry must be <key id>:<32 bytes in base64>, e.g. k2:$(openssl rand -base64 32), newest first',
      });
      return [];
    }
    if (keys.some((k) => k.id === id)) {
      ctx.addIssue({ code: 'custom', message: `key id "${id}" appears twice` });
      return [];
    }
    keys.push({ id, key });
  }
  if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one key' });
  return keys;
}

export type Env = z.infer<typeof EnvSchema>;

/** The name of every variable this module reads (the runbook may name no other). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export type Config = Env & {
  appUrl: string;
  isProduction: boolean;
  schedulerEnabled: boolean;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}\nSee .env.example for every variable.`);
    this.name = 'ConfigError';
  }
}

/** Variables that must be set when APP_ENV=production (the embedded defaults are for one host only). */
const REQUIRED_IN_PRODUCTION = [
  'DATABASE_URL',
  'AUTH_SECRET',
  'CRON_SECRET',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'SMTP_URL',
  'CONTROLLER_SECRET',
  'CHANNEL_TOKEN_KEYS',
] as const;

/** Why a required variable matters, where the bare "required" would not say it. */
const WHY_REQUIRED: Partial<Record<(typeof REQUIRED_IN_PRODUCTION)[number], string>> = {
  DATABASE_URL: 'without it each replica would start its own embedded PostgreSQL in DATA_DIR',
};

/**
 * The rules of APP_ENV=production, on the raw values: they are checked even when another variable is
 * malformed, so one message names every problem.
 */
function productionProblems(env: Record<string, string>): string[] {
  if (env.APP_ENV !== 'production') return [];
  const problems: string[] = [];
  for (const name of REQUIRED_IN_PRODUCTION) {
    const why = WHY_REQUIRED[name];
    if (!env[name]) problems.push(`${name}: required when APP_ENV=production${why ? ` (${why})` : ''}`);
  }
  if ((env.MACHINE_PROVIDER ?? 'local') !== 'fly') {
    problems.push(
      "MACHINE_PROVIDER: must be fly when APP_ENV=production (local would run every customer's openclaw on the web host, as the app's user)",
    );
  } else if (!env.FLY_API_TOKEN) problems.push('FLY_API_TOKEN: required when MACHINE_PROVIDER=fly');
  if (!/^https:\/\//i.test(env.APP_URL ?? '')) {
    problems.push(
      'APP_URL: must be the https:// address of the app when APP_ENV=production (the session cookie is Secure only over https)',
    );
  }
  return problems;
}

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" (a common .env habit).
  const env = Object.fromEntries(
    Object.entries(source).filter((kv): kv is [string, string] => kv[1] !== undefined && kv[1] !== ''),
  );
  const parsed = EnvSchema.safeParse(env);
  const problems = productionProblems(env);
  if (!parsed.success) throw new ConfigError([...parsed.error.issues.map(issueText), ...problems]);
  const e = parsed.data;
  const isProduction = e.APP_ENV === 'production';
  if (e.MACHINE_PROVIDER === 'fly' && !e.FLY_INSTANCES_APP)
    problems.push('FLY_INSTANCES_APP: required when MACHINE_PROVIDER=fly');
  if (e.MACHINE_PROVIDER === 'fly' && !e.FLY_IMAGE) problems.push('FLY_IMAGE: required when MACHINE_PROVIDER=fly');
  if (e.LIFECYCLE_DESTRUCTION_WARNING_DAYS >= e.LIFECYCLE_DESTRUCTION_AFTER_DAYS) {
    problems.push(
      'LIFECYCLE_DESTRUCTION_WARNING_DAYS: must be less than LIFECYCLE_DESTRUCTION_AFTER_DAYS (the warning comes before the destruction)',
    );
  }
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET) {
    problems.push('STRIPE_WEBHOOK_SECRET: required when STRIPE_SECRET_KEY is set');
  }
  if (e.CONTROLLER_SECRET_PREVIOUS && e.CONTROLLER_SECRET_PREVIOUS === e.CONTROLLER_SECRET) {
    problems.push(
      'CONTROLLER_SECRET_PREVIOUS: is the same as CONTROLLER_SECRET (set it to the old secret while rotating)',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    ...e,
    appUrl: (e.APP_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    isProduction,
    schedulerEnabled: e.SCHEDULER ?? !isProduction,
  };
}

/** The secrets the app cannot run without, or a ConfigError naming each one that is missing. */
export function appSecrets(config: Config): { authSecret: string; controllerSecret: string } {
  const { AUTH_SECRET: authSecret, CONTROLLER_SECRET: controllerSecret } = config;
  if (authSecret && controllerSecret) return { authSecret, controllerSecret };
  const missing = Object.entries({ AUTH_SECRET: authSecret, CONTROLLER_SECRET: controllerSecret })
    .filter(([, value]) => !value)
    .map(([name]) => `${name}: not set (npm start generates one on the embedded default)`);
  throw new ConfigError(missing);
}

/**
 * The embedded default (`npm start`): values the start script generated or started (database URL,
 * development secrets, the Stripe emulator's keys) fill the variables left unset, in `env` itself so
 * that everything reading the process environment later (Next's route modules, via getConfig) sees
 * them, and the config is read again. A variable that is set always wins.
 */
export function withEmbeddedDefaults(
  values: Partial<Record<keyof Env, string>>,
  env: Record<string, string | undefined> = process.env,
): Config {
  for (const [name, value] of Object.entries(values)) if (value !== undefined && !env[name]) env[name] = value;
  cached = undefined;
  return loadConfig(env);
}

let cached: Config | undefined;
/** Process-wide config, read on first use. Tests call loadConfig() with their own values instead. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
