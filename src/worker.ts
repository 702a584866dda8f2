import { runningEmbeddedUrl } from './db/database.js';
import { migrateDatabase } from './db/migrate.js';
import { closeDeps, createDeps } from './deps.js';
import { startWorker } from './jobs/queue.js';
import { cronItems, taskList } from './jobs/tasks.js';
import { removeEmbeddedPostgresSignalHandlers } from './db/embedded.js';
import { configFromEnvironment } from './lib/env.js';
import { createLogger } from './lib/logger.js';
import { markShuttingDown } from './lib/shutdown.js';
import { parseCommandLine } from './cli/args.js';

parseCommandLine({
  command: 'npm run worker',
  usage: `usage: npm run worker   (or: node dist/worker.js after npm run build)

Runs the job worker (e-mails, scheduled jobs) without HTTP, for APIs started with WORKER=off.
Database: DATABASE_URL, or the running API's embedded database in DATA_DIR. WORKER_CONCURRENCY jobs at once.
SIGTERM/SIGINT stop it gracefully (jobs in progress finish).`,
});

const config = configFromEnvironment();
const log = createLogger(config);

async function main() {
  const url = config.DATABASE_URL ?? runningEmbeddedUrl(config);
  if (!url) {
    log.fatal('npm run worker needs DATABASE_URL, or a running API with its embedded database in DATA_DIR');
    process.exit(1);
  }
  if (config.MIGRATE_ON_START) await migrateDatabase(url);
  const deps = createDeps(config, log, url);
  const runner = await startWorker(deps.pool, taskList(deps), log, {
    concurrency: config.WORKER_CONCURRENCY,
    localQueueSize: config.WORKER_LOCAL_QUEUE,
    cronItems,
  });
  deps.metrics.observeWorker(runner);
  log.info({ concurrency: config.WORKER_CONCURRENCY }, 'worker started');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    markShuttingDown();
    log.info({ signal }, 'worker shutting down');
    setTimeout(() => {
      log.error('graceful shutdown timed out');
      process.exit(1);
    }, 20_000).unref();
    try {
      await runner.stop();
      await closeDeps(deps);
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  removeEmbeddedPostgresSignalHandlers();
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Started by npm (npm run worker), which does not pass SIGTERM on: stop gracefully once npm is gone.
  if (process.env.npm_lifecycle_event !== undefined) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown('parent-exited');
    }, 250).unref();
  }
  await runner.promise;
  if (!closing) {
    // graphile-worker stopped on its own: exit so that a supervisor restarts the worker.
    log.fatal('worker stopped unexpectedly');
    await closeDeps(deps).catch(() => {});
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'worker failed');
  process.exit(1);
});
