import { sql } from 'drizzle-orm';
import { EventEmitter } from 'node:events';
import {
  Logger,
  parseCronItems,
  run,
  type CronItem,
  type JobHelpers,
  type Runner,
  type TaskList,
  type WorkerEvents,
  type WorkerPool,
} from 'graphile-worker';
import type pg from 'pg';
import type { Logger as Pino } from 'pino';
import { isConnectionTermination, isShuttingDown } from '../lib/shutting-down.js';
import type { Config } from '../config.js';
import type { DbOrTx } from '../db/client.js';
import { attachDeliveryGuard, createLiveness, DEFAULT_LIVENESS, type LivenessOptions } from './liveness.js';

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

/** How long after a server-ended connection its log line waits for a shutdown begun by the same Ctrl-C. */
const TERMINATION_JUDGED_AFTER_MS = 500;

/** Routes graphile-worker's log lines to pino, so that failed jobs show up with their reason. */
export function workerLogger(log: Pino): Logger {
  return new Logger((scope) => (logLevel, message, meta) => {
    const level = String(logLevel);
    const fields = {
      scope: { label: scope.label, taskIdentifier: scope.taskIdentifier, jobId: scope.jobId },
      ...meta,
    };
    // Ctrl-C also stops the embedded PostgreSQL, which may drop the worker's connections before runner.stop(),
    // and even before this process's own SIGINT handler has run: a connection ended by the server is judged a
    // moment later, when a shutdown that started at the same instant has been marked.
    if (level === 'error' && isConnectionTermination(meta?.error)) {
      const judge = () => {
        if (isShuttingDown()) log.info(fields, `${message} (expected while shutting down)`);
        else log.error(fields, message);
      };
      if (isShuttingDown()) judge();
      else setTimeout(judge, TERMINATION_JUDGED_AFTER_MS).unref();
    } else if (level === 'error') log.error(fields, message);
    else if (level === 'warning') log.warn(fields, message);
    else if (level === 'info') log.debug(fields, message);
    else log.trace(fields, message);
  });
}

export interface Worker extends Runner {
  /** graphile-worker's id of this worker pool: the `locked_by` of its jobs, the key of its heartbeat. */
  workerId: string;
  /**
   * Stops taking jobs and waits up to `graceMs` for the running ones (a restock batch stops between messages at
   * once); the jobs still running then are handed back (failed, so they are retried) and the worker stops.
   */
  shutdown(graceMs: number): Promise<void>;
}

export async function startWorker(
  pool: pg.Pool,
  taskList: TaskList,
  log: Pino,
  opts: {
    concurrency: number;
    pollInterval?: number;
    localQueueSize?: number;
    cronItems?: CronItem[];
    liveness?: LivenessOptions;
  },
): Promise<Worker> {
  const localQueueSize = opts.localQueueSize ?? 0;
  const events: WorkerEvents = new EventEmitter();
  let workerPool: WorkerPool | undefined;
  events.once('pool:create', ({ workerPool: created }) => {
    workerPool = created;
  });
  const liveness = createLiveness(pool, log, {
    ...(opts.liveness ?? DEFAULT_LIVENESS),
    // Its jobs were released to others: stop the pool (and so the process, which a supervisor restarts).
    onDeclaredDead: () => {
      Promise.resolve(workerPool?.gracefulShutdown('declared dead by another worker')).catch(() => {});
    },
  });
  // Every handler runs with its worker's delivery guard: e-mails claim their cause under this worker's id.
  const guarded: TaskList = Object.fromEntries(
    Object.entries(taskList).flatMap(([name, task]) =>
      task
        ? [
            [
              name,
              (payload: unknown, helpers: JobHelpers) => {
                attachDeliveryGuard(helpers, liveness.guard);
                return task(payload, helpers);
              },
            ],
          ]
        : [],
    ),
  );
  const started = await run({
    pgPool: pool,
    taskList: guarded,
    concurrency: opts.concurrency,
    pollInterval: opts.pollInterval ?? 1000,
    noHandleSignals: true,
    logger: workerLogger(log),
    events,
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
  if (!workerPool) throw new Error('graphile-worker did not report its worker pool');
  const workers = workerPool;
  // The pool may lock a job before this commits: a death in that instant leaves locks without a heartbeat, which
  // the sweepers release once they are older than the timeout.
  await liveness.register(workers.id);
  let forced = false;
  const stopped = started.promise.then(
    () => liveness.stop({ clean: !forced }),
    () => liveness.stop({ clean: false }),
  );
  return {
    ...started,
    workerId: workers.id,
    async stop(reason?: string) {
      await started.stop(reason);
      await stopped.catch(() => {});
    },
    async shutdown(graceMs) {
      const graceful = started.stop().then(
        () => true,
        () => true,
      );
      const inTime = await Promise.race([
        graceful,
        new Promise<false>((r) => setTimeout(() => r(false), graceMs).unref()),
      ]);
      if (!inTime) {
        forced = true;
        log.warn({ graceMs }, 'jobs still running at the deadline: handing them back');
        await workers.forcefulShutdown('the process is shutting down');
      }
      await stopped.catch(() => {});
    },
  };
}

/** The worker of a process (npm start with WORKER=embedded, npm run worker) as configured. */
export function workerOptions(
  config: Pick<
    Config,
    | 'WORKER_CONCURRENCY'
    | 'WORKER_LOCAL_QUEUE'
    | 'WORKER_HEARTBEAT_INTERVAL_MS'
    | 'WORKER_HEARTBEAT_TIMEOUT_MS'
  >,
  cronItems: CronItem[],
) {
  return {
    concurrency: config.WORKER_CONCURRENCY,
    localQueueSize: config.WORKER_LOCAL_QUEUE,
    cronItems,
    liveness: {
      intervalMs: config.WORKER_HEARTBEAT_INTERVAL_MS,
      timeoutMs: config.WORKER_HEARTBEAT_TIMEOUT_MS,
    },
  };
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
