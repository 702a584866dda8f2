import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { parsePgTimestamptz } from './timestamptz.js';

export type Db = NodePgDatabase;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Repositories take either the pool-bound database or the caller's transaction. */
export type DbOrTx = Db | Tx;

// NUMERIC stays a string (money is exact); BIGINT counts come back as JS numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// Plain pool queries read timestamptz with microseconds too (Drizzle's own queries hand the text to the column).
const parseTimestamptzAsDate = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (
  text: string,
) => unknown;
pg.types.setTypeParser(
  pg.types.builtins.TIMESTAMPTZ,
  (v) => parsePgTimestamptz(v) ?? parseTimestamptzAsDate(v),
);

export function createPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return drizzle(pool);
}
