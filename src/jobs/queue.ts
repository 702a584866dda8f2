import { sql } from 'drizzle-orm';
import { Logger, parseCronItems, run, type CronItem, type Runner, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import type { Logger as Pino } from 'pino';
import { isConnectionTermination, isShuttingDown } from '../lib/shutdown.js';
import type { DbOrTx } from '../db/client.js';

export interface JobOptions {
  /** The cause of the job: a second job with the same key is not added while the first one exists. */
  jobKey?: string;
  maxAttempts?: number;
  runAt?: Date;
}

/**
 * Adds a job inside the caller's transaction, so that the job exists if and only if the change commits.
 * (graphile-worker's WorkerUtils.addJob uses its own connection and would not be transactional.)
 */
export async function addJob(
  tx: DbOrTx,
  task: string,
  payload: object,
  opts: JobOptions = {},
): Promise<void> {
  await tx.execute(sql`SELECT graphile_worker.add_job(
    ${task},
    ${JSON.stringify(payload)}::json,
    job_key => ${opts.jobKey ?? null}::text,
    job_key_mode => 'unsafe_dedupe',
    max_attempts => ${opts.maxAttempts ?? 25}::int,
    run_at => ${opts.runAt?.toISOString() ?? null}::timestamptz
  )`);
}

/** Routes graphile-worker's log lines to pino, so that failed jobs show up with their reason. */
export function workerLogger(log: Pino): Logger {
  return new Logger((scope) => (logLevel, message, meta) => {
    const level = String(logLevel);
    const fields = {
      scope: { label: scope.label, taskIdentifier: scope.taskIdentifier, jobId: scope.jobId },
      ...meta,
    };
    // Ctrl-C also stops the embedded PostgreSQL, which may drop the worker's connections before runner.stop().
    if (level === 'error' && isShuttingDown() && isConnectionTermination(meta?.error))
      log.info(fields, `${message} (expected while shutting down)`);
    else if (level === 'error') log.error(fields, message);
    else if (level === 'warning') log.warn(fields, message);
    else if (level === 'info') log.debug(fields, message);
    else log.trace(fields, message);
  });
}

export async function startWorker(
  pool: pg.Pool,
  taskList: TaskList,
  log: Pino,
  opts: { concurrency: number; pollInterval?: number; localQueueSize?: number; cronItems?: CronItem[] },
): Promise<Runner> {
  const localQueueSize = opts.localQueueSize ?? 0;
  return run({
    pgPool: pool,
    taskList,
    concurrency: opts.concurrency,
    pollInterval: opts.pollInterval ?? 1000,
    noHandleSignals: true,
    logger: workerLogger(log),
    ...(opts.cronItems && { parsedCronItems: parseCronItems(opts.cronItems) }),
    preset: {
      worker: {
        // A stop raises the jobs' abortSignal at once: a restock batch then starts no new e-mail, records what
        // the relay accepted and fails, to be run again for the rest (instead of holding the stop for the batch).
        gracefulShutdownAbortTimeout: 0,
        // Batching (graphile-worker "localQueue"): fetch and lock many jobs per query and complete them in
        // batches; jobs locked but not started are returned on stop.
        ...(localQueueSize > 1 && { localQueue: { size: localQueueSize }, completeJobBatchDelay: 0 }),
      },
    },
  });
}

/**
 * Unlocks every locked job. Only safe when no other worker can be running — as at the start of a process that has
 * just started its own embedded database — where the locks can only be left over from a crash; otherwise they
 * would hold those jobs back for graphile-worker's 4-hour lock timeout.
 */
export async function releaseAllJobLocks(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ n: number }>(`
    WITH dead AS (SELECT array_agg(DISTINCT locked_by) AS ids FROM graphile_worker.jobs WHERE locked_by IS NOT NULL)
    SELECT graphile_worker.force_unlock_workers(ids), coalesce(cardinality(ids), 0) AS n FROM dead`);
  return result.rows[0]?.n ?? 0;
}
