// The composition root: builds every collaborator the handlers need from config + a database.
// Tests call createAppDeps with their own database, clock and emulator URLs; nothing here is global.
import type { Db } from '@/db/client';
import type { Clock } from '@/platform/clock';
import { systemClock } from '@/platform/clock';
import type { Config } from '@/platform/config';
import { createLogger, type Logger } from '@/platform/logger';
import { createAuth, type Auth } from './auth';

export type AppDeps = {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  auth: Auth;
};

export type AppDepsInput = {
  config: Config;
  db: Db;
  logger?: Logger;
  clock?: Clock;
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
  return { config, db, logger, clock, auth };
}
