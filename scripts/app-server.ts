// The app image's program (Dockerfile CMD), bundled by `npm run build` into dist/app-server.mjs:
//   serve    check the configuration, apply migrations (replicas take turns under the advisory lock
//            of src/db/migrate.ts), then run Next's standalone server on HOST:PORT
//   migrate  only the migrations (fly.toml's release command: a failing one stops the deploy)
//   cron     call the two cron endpoints at APP_URL every SCHEDULER_INTERVAL_S (the scheduler of a
//            deployment with no platform cron; overlapping calls are safe)
// No embedded database, Stripe emulator or demo login here: that is `npm start` (scripts/start.ts).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDb } from '@/db/client';
import { runMigrations } from '@/db/migrate';
import { ConfigError, loadConfig } from '@/platform/config';
import { createLogger } from '@/platform/logger';
import { disableDemoAccount } from '@/server/demo-account';
import { startScheduler } from '@/server/scheduler';

const MIGRATION_POOL = 2; // the advisory lock holds one connection while the migrator uses the other

const log = createLogger({ name: 'app-server', level: process.env.LOG_LEVEL });

function configOrExit() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`\n${err.message}\n\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function migrate(url: string, production: boolean): Promise<void> {
  const { db, close } = createDb(url, { max: MIGRATION_POOL });
  try {
    await runMigrations(db);
    // the demo login's password is public: one left by a development boot on this database is disabled
    if (production && (await disableDemoAccount(db)) === 'disabled') log.warn('demo account disabled (production)');
  } finally {
    await close();
  }
  log.info('migrations applied');
}

async function main(mode: string): Promise<void> {
  const config = configOrExit();
  const databaseUrl = config.DATABASE_URL ?? '';
  if (!databaseUrl && mode !== 'cron') {
    process.stderr.write('\nDATABASE_URL: required (this program never starts an embedded database)\n\n');
    process.exit(2);
  }
  if (mode === 'migrate') return migrate(databaseUrl, config.isProduction);
  if (mode === 'serve') {
    await migrate(databaseUrl, config.isProduction);
    // Next's standalone server reads PORT and HOSTNAME; ours are PORT and HOST
    process.env.HOSTNAME = config.HOST;
    process.env.PORT = String(config.PORT);
    const server = process.env.KILOCLAW_NEXT_SERVER ?? path.join(process.cwd(), 'server.js');
    await import(pathToFileURL(server).href);
    return;
  }
  if (mode === 'cron') {
    if (!config.CRON_SECRET) {
      process.stderr.write('\nCRON_SECRET: required to call the cron endpoints\n\n');
      process.exit(2);
    }
    const scheduler = startScheduler({
      baseUrl: config.appUrl,
      secret: config.CRON_SECRET,
      intervalMs: config.SCHEDULER_INTERVAL_S * 1000,
      logger: log,
    });
    log.info({ target: config.appUrl, everyS: config.SCHEDULER_INTERVAL_S }, 'calling the cron endpoints');
    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      process.once(signal, () => void scheduler.stop().then(() => process.exit(0)));
    return;
  }
  process.stderr.write(`unknown mode "${mode}" (expected serve, migrate or cron)\n`);
  process.exit(2);
}

main(process.argv[2] ?? 'serve').catch((err: unknown) => {
  log.error({ err }, 'app-server failed');
  process.exit(1);
});
