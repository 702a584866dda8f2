import type { CronItem } from 'graphile-worker';

/**
 * A recurring job (clean-ups, sweeps), keyed by its task name: a run missed while no worker was up is not made up for
 * (the next one catches up), and a run that throws is tried three times.
 */
export const recurringCron = (task: string, match: string): CronItem => ({
  task,
  match,
  identifier: task,
  options: { backfillPeriod: 0, maxAttempts: 3 },
});

/**
 * Runs `step(batch)` until it reports fewer than `batch` rows (short statements, so that no long lock is held)
 * and returns the sum of what it reported.
 */
export async function inBatches(batch: number, step: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await step(batch);
    total += done;
    if (done < batch) return total;
  }
}
