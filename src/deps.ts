import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createDb, createPool, type Db } from './db/client.js';
import { createMailer, type Mailer } from './emails/mailer.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createPgCounterStore, type CounterStore } from './modules/auth/auth.rate-limit.js';
import { createMetrics, type Metrics } from './lib/metrics.js';
import { createAccessTokens, type AccessTokens } from './modules/auth/auth.tokens.js';

/** Everything the app and the worker need, built once; no container, just an object. */
export interface Deps {
  config: Config;
  log: Logger;
  pool: pg.Pool;
  db: Db;
  clock: Clock;
  tokens: AccessTokens;
  mailer: Mailer;
  /** Rate-limit and throttle counters, shared by every process on the database. */
  counters: CounterStore;
  metrics: Metrics;
}

export function createDeps(
  config: Config,
  log: Logger,
  databaseUrl: string,
  overrides: Partial<Deps> = {},
): Deps {
  const pool =
    overrides.pool ??
    createPool(databaseUrl, config.DB_POOL_MAX, {
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
      connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    });
  const clock = overrides.clock ?? systemClock;
  const db = overrides.db ?? createDb(pool);
  return {
    config,
    log: overrides.log ?? log,
    pool,
    db,
    clock,
    tokens:
      overrides.tokens ??
      createAccessTokens(config.SECRET_KEY, config.ACCESS_TOKEN_EXPIRE_MINUTES, () => clock.now()),
    mailer: overrides.mailer ?? createMailer(config, log),
    counters: overrides.counters ?? createPgCounterStore(db),
    metrics: overrides.metrics ?? createMetrics({ pool }),
  };
}

export async function closeDeps(deps: Deps): Promise<void> {
  deps.mailer.close();
  await deps.pool.end();
}
