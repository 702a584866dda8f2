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
