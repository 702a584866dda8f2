import type { Runner } from 'graphile-worker';
import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SeriesHistogram } from './series-histogram.js';
import { withTimeout } from './timeout.js';

/**
 * The process's Prometheus metrics, one registry per process (built in createDeps): every process (API or
 * worker) reports its own counters, so scrape each. The job queue depth is read from the database on each
 * scrape and is therefore the same, global, number in every process.
 */
export function createMetrics(opts: { pool: pg.Pool; defaultMetrics?: boolean }) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpRequestDuration = new SeriesHistogram(
    'http_request_duration_seconds',
    'HTTP request duration by method, route pattern and status code',
    ['method', 'route', 'status_code'] as const,
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  );

  const emails = new Counter({
    name: 'bookstore_emails_total',
    help: 'E-mails handed to the mailer, by outcome (sent, failed: the job is retried)',
    labelNames: ['outcome'] as const,
    registers,
  });

  const restockBroadcastSize = new Histogram({
    name: 'bookstore_restock_notified_readers',
    help: 'Waiting pre-bookings notified by one committed restock',
    buckets: [1, 10, 100, 1000, 10_000, 100_000, 1_000_000],
    registers,
  });

  const jobErrors = new Counter({
    name: 'bookstore_job_errors_total',
    help: 'Job attempts that threw, by task (each is retried with backoff until max attempts)',
    labelNames: ['task'] as const,
    registers,
  });
  const jobFailures = new Counter({
    name: 'bookstore_job_failures_total',
    help: 'Jobs that failed permanently (no attempts left), by task',
    labelNames: ['task'] as const,
    registers,
  });

  const { pool } = opts;
  new Gauge({
    name: 'bookstore_db_pool_connections',
    help: "This process's PostgreSQL pool: total, idle, and waiting (requests queued for a connection)",
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });

  new Gauge({
    name: 'bookstore_job_queue_jobs',
    help: 'Jobs in the queue (global, read from the database): ready, scheduled (run_at later), locked, failed',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      try {
        const result = await withTimeout(
          pool.query<{ ready: number; scheduled: number; locked: number; failed: number }>(QUEUE_DEPTH_SQL),
          1000,
          'timeout',
        );
        const row = result.rows[0];
        for (const state of ['ready', 'scheduled', 'locked', 'failed'] as const) {
          this.set({ state }, row?.[state] ?? 0);
        }
      } catch {
        // The database is unreachable or slow: report no queue figures rather than stale ones or a failed scrape.
        this.reset();
      }
    },
  });

  return {
    registry,
    httpRequestDuration,
    emails,
    restockBroadcastSize,
    /** Counts job errors and permanent failures of a running worker. */
    observeWorker(runner: Pick<Runner, 'events'>) {
      runner.events.on('job:error', ({ job }) => jobErrors.inc({ task: job.task_identifier }));
      runner.events.on('job:failed', ({ job }) => jobFailures.inc({ task: job.task_identifier }));
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const QUEUE_DEPTH_SQL = `
  SELECT count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts AND run_at <= now())::int AS ready,
         count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts AND run_at > now())::int AS scheduled,
         count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS locked,
         count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
  FROM graphile_worker.jobs`;
