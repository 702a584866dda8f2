import type { CronItem, Task } from 'graphile-worker';
import type { Db } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { deleteDeadRefreshTokens } from './auth.repository.js';

export const REFRESH_TOKEN_PURGE_TASK = 'refresh-token-purge';

/** Every hour; a run missed while no worker was up is not made up for, the next one catches up. */
export const refreshTokenPurgeCron: CronItem = {
  task: REFRESH_TOKEN_PURGE_TASK,
  match: '17 * * * *',
  identifier: REFRESH_TOKEN_PURGE_TASK,
  options: { backfillPeriod: 0, maxAttempts: 3 },
};

const BATCH = 1000;

/**
 * Deletes the refresh tokens of every family that has ended (contract §8 item 9: the table no longer grows without
 * bound), in short statements so that no long lock is held. Idempotent. Returns the number of rows deleted.
 */
export async function purgeDeadRefreshTokens(db: Db, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteDeadRefreshTokens(db, now, BATCH);
    total += deleted;
    if (deleted < BATCH) return total;
  }
}

export function refreshTokenPurgeTask(deps: Pick<Deps, 'db' | 'clock' | 'log'>): Task {
  return async () => {
    const deleted = await purgeDeadRefreshTokens(deps.db, deps.clock.now());
    if (deleted > 0) deps.log.info({ deleted }, 'purged refresh tokens of ended sessions');
  };
}

export const RATE_LIMIT_PURGE_TASK = 'rate-limit-purge';

/** Every five minutes: no counter outlives its window (at most one hour) by more than that. */
export const rateLimitPurgeCron: CronItem = {
  task: RATE_LIMIT_PURGE_TASK,
  match: '*/5 * * * *',
  identifier: RATE_LIMIT_PURGE_TASK,
  options: { backfillPeriod: 0, maxAttempts: 3 },
};

/** Deletes every rate-limit counter whose window has ended, in short batches. Returns the number deleted. */
export async function purgeExpiredCounters(deps: Pick<Deps, 'counters'>, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deps.counters.purgeExpired(now, BATCH);
    total += deleted;
    if (deleted < BATCH) return total;
  }
}

export function rateLimitPurgeTask(deps: Pick<Deps, 'counters' | 'clock' | 'log'>): Task {
  return async () => {
    const deleted = await purgeExpiredCounters(deps, deps.clock.now());
    if (deleted > 0) deps.log.debug({ deleted }, 'purged expired rate-limit counters');
  };
}
