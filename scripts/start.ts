// `npm start`: the whole system on one host. With nothing configured it starts an embedded
// PostgreSQL (data in DATA_DIR), applies migrations, seeds the demo login, builds the web app if its
// sources changed, and serves it on PORT. Each external part switches to the real one when configured.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import next from 'next';
import { createDb } from '@/db/client';
import { DataDirLockedError, type EmbeddedServer, startEmbeddedPostgres } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import { type StripeEmulator, startStripeEmulator } from '@/emulators/stripe/server';
import { appSecrets, ConfigError, loadConfig, withEmbeddedDefaults } from '@/platform/config';
import { createLogger } from '@/platform/logger';
import { createAuth } from '@/server/auth';
import { DEMO_ACCOUNT, disableDemoAccount, ensureDemoAccount } from '@/server/demo-account';
import { embeddedSecrets, enforceDataDirModes } from '@/server/embedded-secrets';
import { SOCKET_ADDRESS_HEADER } from '@/server/http/client-ip';
import { startScheduler } from '@/server/scheduler';

const root = process.cwd();
if (existsSync(path.join(root, '.env'))) process.loadEnvFile(path.join(root, '.env'));
process.env.NEXT_TELEMETRY_DISABLED ??= '1';

// the level follows LOG_LEVEL once the config is read (main)
let log = createLogger({ name: 'start' });
const cleanups: Array<() => Promise<unknown> | unknown> = [];

async function shutdown(code: number): Promise<never> {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      log.error({ err }, 'shutdown step failed');
    }
  }
  process.exit(code);
}

/**
 * Builds the web app when its sources changed (`scripts/build.mjs --if-stale`: the freshness rule and
 * the lock that keeps two builds from writing .next at once live there), with the two bundles.
 */
function buildIfNeeded(): void {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--if-stale'], {
    stdio: 'inherit',
    env: process.env,
  });
  if (r.status !== 0) throw new Error('the build failed (see above)');
}

/**
 * Node 24 + openclaw for the local machine provider (scripts/ensure-openclaw.mjs: instant when already
 * installed). Runs beside the database start and the web build so a first start is not their sum.
 */
function ensureOpenclaw(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts/ensure-openclaw.mjs')], {
      stdio: 'inherit',
      env: process.env,
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`installing openclaw failed (exit ${code}); see above`)),
    );
  });
}

async function main(): Promise<void> {
  // Read and validated once up front, before anything starts: production names every problem here
  // (missing secrets, no DATABASE_URL, the local machine provider, an APP_URL that is not https). The
  // embedded parts then fill in what is unset, and the config is read again (withEmbeddedDefaults).
  const boot = loadConfig();
  log = createLogger({ name: 'start', level: boot.LOG_LEVEL });
  // only the local machine provider runs openclaw on this host; Fly machines carry it in their image
  const openclawReady = boot.MACHINE_PROVIDER === 'fly' ? Promise.resolve() : ensureOpenclaw();
  openclawReady.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
  const dataDir = path.resolve(boot.DATA_DIR);
  const embeddedValues: Parameters<typeof withEmbeddedDefaults>[0] = {};
  let embedded: EmbeddedServer | undefined;

  // production never gets here without DATABASE_URL (loadConfig refused it above, before anything started)
  if (!boot.isProduction) enforceDataDirModes(dataDir);
  if (!boot.DATABASE_URL) {
    embedded = await startEmbeddedPostgres({ dir: dataDir, onLog: (l) => log.debug({ pg: l }) });
    cleanups.push(() => embedded?.stop());
    const admin = createDb(embedded.url(), { max: 1 });
    const exists = await admin.sql`select 1 from pg_database where datname = 'kiloclaw'`;
    if (exists.length === 0) await admin.sql`create database kiloclaw`;
    await admin.close();
    embeddedValues.DATABASE_URL = embedded.url('kiloclaw');
    log.info({ dataDir, port: embedded.port }, 'embedded PostgreSQL started');
  }

  const production = boot.isProduction;
  if (!production)
    Object.assign(
      embeddedValues,
      embeddedSecrets(dataDir, (name) => Boolean(boot[name])),
    );

  // No Stripe account configured: run the local Stripe emulator and point the app at it. It must be
  // in the environment before the final config is read, exactly as real keys would be. Its account (and keys) are kept
  // in DATA_DIR, so subscriptions survive a restart just as they would at Stripe.
  let stripeEmulator: StripeEmulator | undefined;
  if (!boot.STRIPE_SECRET_KEY && !production) {
    const appPort = boot.PORT;
    stripeEmulator = await startStripeEmulator({
      webhookUrl: `http://127.0.0.1:${appPort}/api/stripe/webhook`,
      stateFile: path.join(dataDir, 'stripe-emulator.json'),
      settleEveryMs: 60_000,
    });
    cleanups.push(() => stripeEmulator?.stop());
    embeddedValues.STRIPE_SECRET_KEY = stripeEmulator.secretKey;
    embeddedValues.STRIPE_WEBHOOK_SECRET = stripeEmulator.webhookSecret;
    embeddedValues.STRIPE_API_BASE = stripeEmulator.url;
    log.info({ url: stripeEmulator.url }, 'Stripe emulator started');
  }
  const config = withEmbeddedDefaults(embeddedValues);

  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set (the embedded default sets it above)');
  const { db, close } = createDb(config.DATABASE_URL, { max: 3 });
  cleanups.push(close);
  await runMigrations(db);
  log.info('migrations applied');

  let demo = false;
  if (config.isProduction) {
    // its password is public: a demo user left by a development boot on this database must not sign in
    if ((await disableDemoAccount(db)) === 'disabled') log.warn('demo account disabled (production)');
  } else if (config.DEMO_ACCOUNT) {
    const auth = createAuth({ db, secret: appSecrets(config).authSecret, baseURL: config.appUrl, production: false });
    await ensureDemoAccount(db, auth);
    demo = true;
  }

  buildIfNeeded();
  await openclawReady;
  const app = next({ dev: false, dir: root, hostname: config.HOST, port: config.PORT });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = http.createServer((req, res) => {
    // the TCP peer, for rate limits when no TRUSTED_PROXY_HEADER is set; a client's own value is overwritten
    req.headers[SOCKET_ADDRESS_HEADER] = req.socket.remoteAddress ?? '';
    void handle(req, res);
  });
  cleanups.push(() => new Promise((r) => server.close(r)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, resolve);
  });

  if (config.schedulerEnabled && config.CRON_SECRET) {
    // calls our own cron endpoints over loopback, as an external scheduler would over the network
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
    const scheduler = startScheduler({
      baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}`,
      secret: config.CRON_SECRET,
      intervalMs: config.SCHEDULER_INTERVAL_S * 1000,
      logger: createLogger({ name: 'scheduler', level: config.LOG_LEVEL }),
    });
    cleanups.push(() => scheduler.stop());
  }

  console.log(`\n  KiloClaw is running at ${config.appUrl}`);
  if (demo) console.log(`  Demo login: ${DEMO_ACCOUNT.email} / ${DEMO_ACCOUNT.password}`);
  if (stripeEmulator) console.log(`  Stripe emulator (checkout pages, signed webhooks): ${stripeEmulator.url}`);
  console.log('  Press Ctrl+C to stop.\n');
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

main().catch(async (err) => {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) console.error(`\n${err.message}\n`);
  else log.error({ err }, 'start failed');
  await shutdown(1);
});
