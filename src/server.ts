import type { Runner } from 'graphile-worker';
import { buildApp } from './app.js';
import { openDatabase } from './db/database.js';
import { migrateDatabase } from './db/migrate.js';
import { closeDeps, createDeps } from './deps.js';
import { createServices } from './services.js';
import { releaseAllJobLocks, startWorker } from './jobs/queue.js';
import { cronItems, taskList } from './jobs/tasks.js';
import { removeEmbeddedPostgresSignalHandlers } from './db/embedded.js';
import { configFromEnvironment } from './lib/env.js';
import { createLogger } from './lib/logger.js';
import { markShuttingDown } from './lib/shutdown.js';
import { parseCommandLine } from './cli/args.js';

parseCommandLine({
  command: 'npm start',
  usage: `usage: npm start   (or: node dist/server.js after npm run build)

Starts the HTTP API on HOST:PORT (default 127.0.0.1:8000) and, with WORKER=embedded, the job worker.
DATABASE_URL unset: an embedded PostgreSQL with its data under DATA_DIR. Settings come from the environment and
a .env file (see README "Configuration"). SIGTERM/SIGINT stop it gracefully.`,
});

const config = configFromEnvironment();
const log = createLogger(config);

async function main() {
  const database = await openDatabase(config, log);
  if (config.MIGRATE_ON_START) {
    await migrateDatabase(database.url);
    log.info('database migrations applied');
  }
  const deps = createDeps(config, log, database.url);
  const app = await buildApp(deps, createServices(deps));
  let runner: Runner | undefined;
  if (!config.DATABASE_URL) {
    // Our own embedded server: no other worker can hold a job, so any lock is a leftover of a crash.
    const released = await releaseAllJobLocks(deps.pool);
    if (released > 0)
      log.warn({ workers: released }, 'released jobs locked by a worker that did not stop cleanly');
  }
  if (config.WORKER === 'embedded') {
    runner = await startWorker(deps.pool, taskList(deps), log, {
      concurrency: config.WORKER_CONCURRENCY,
      localQueueSize: config.WORKER_LOCAL_QUEUE,
      cronItems,
    });
    deps.metrics.observeWorker(runner);
  }

  let closing = false;
  let workerStopped = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (closing) return;
    closing = true;
    markShuttingDown();
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('graceful shutdown timed out');
      process.exit(1);
    }, 20_000);
    force.unref();
    try {
      await app.close(); // stops accepting, lets in-flight requests finish
      if (runner && !workerStopped) await runner.stop();
      await closeDeps(deps);
      await database.stop();
      log.info('shutdown complete');
      process.exit(exitCode);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  // The embedded worker must not die silently while the API keeps adding jobs.
  runner?.promise.then(
    () => {
      workerStopped = true;
      if (!closing) {
        log.fatal('the job worker stopped unexpectedly');
        void shutdown('worker-stopped', 1);
      }
    },
    (err: unknown) => {
      workerStopped = true;
      log.fatal({ err }, 'the job worker failed');
      void shutdown('worker-failed', 1);
    },
  );
  removeEmbeddedPostgresSignalHandlers();
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // npm (npm start) does not pass a SIGTERM on to its script: it exits and we would be reparented and keep running.
  // Started by npm, the server stops gracefully as soon as npm is gone.
  if (process.env.npm_lifecycle_event !== undefined) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown('parent-exited');
    }, 250).unref();
  }

  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'failed to start');
  process.exit(1);
});
