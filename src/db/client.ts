// The only module that knows the driver: postgres.js under Drizzle. Everything else takes `Db`.
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };
/** A transaction handle; accepted wherever a function may run inside the caller's transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export type DbHandle = {
  db: Db;
  sql: postgres.Sql;
  close: () => Promise<void>;
};

export function createDb(url: string, opts: { max?: number; connectTimeoutS?: number } = {}): DbHandle {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {}, // the migrator's "schema already exists" NOTICEs are noise
    connect_timeout: opts.connectTimeoutS ?? 10,
    idle_timeout: 60,
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
