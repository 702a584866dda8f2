import { buildApp } from './app.js';
import { openDatabase } from './db/database.js';
import { migrateDatabase } from './db/migrate.js';
import { createDeps } from './deps.js';
import { createServices } from './services.js';
import { releaseAllJobLocks, startWorker, workerOptions, type Worker } from './jobs/queue.js';
import { cronItems, taskList } from './jobs/tasks.js';
import { configFromEnvironment } from './lib/env.js';
import { createLogger } from './lib/logger.js';
import { shutDownGracefully } from './lib/shutdown.js';

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
  let worker: Worker | undefined;
  if (!config.DATABASE_URL) {
    // Our own embedded server: no other worker can hold a job, so any lock is a leftover of a crash.
    const released = await releaseAllJobLocks(deps.pool);
    if (released > 0)
      log.warn({ workers: released }, 'released jobs locked by a worker that did not stop cleanly');
  }
  if (config.WORKER === 'embedded') {
    worker = await startWorker(deps.pool, taskList(deps), log, workerOptions(config, cronItems));
    deps.metrics.observeWorker(worker);
  }

  shutDownGracefully({
    log,
    config,
    deps,
    http: {
      close: () => app.close(), // stops accepting, ends notification streams, waits for in-flight requests
      forceClose: () => app.server.closeAllConnections(),
    },
    worker,
    ...(!config.DATABASE_URL && { database }),
  });

  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'failed to start');
  process.exit(1);
});
