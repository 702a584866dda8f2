import type { Runner } from 'graphile-worker';
import { buildApp } from './app.js';
import { openDatabase } from './db/database.js';
import { migrateDatabase } from './db/migrate.js';
import { closeDeps, createDeps } from './deps.js';
import { releaseAllJobLocks, startWorker } from './jobs/queue.js';
import { cronItems, taskList } from './jobs/tasks.js';
import { removeEmbeddedPostgresSignalHandlers } from './db/embedded.js';
import { configFromEnvironment } from './lib/env.js';
import { createLogger } from './lib/logger.js';

const config = configFromEnvironment();
const log = createLogger(config);

async function main() {
  const database = await openDatabase(config, log);
  if (config.MIGRATE_ON_START) {
    await migrateDatabase(database.url);
    log.info('database migrations applied');
  }
  const deps = createDeps(config, log, database.url);
  const app = await buildApp(deps);
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
  }

  let closing = false;
  let workerStopped = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (closing) return;
    closing = true;
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

  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'failed to start');
  process.exit(1);
});
