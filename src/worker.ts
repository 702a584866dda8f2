import { runningEmbeddedUrl } from './db/database.js';
import { migrateDatabase } from './db/migrate.js';
import { createDeps } from './deps.js';
import { startWorker, workerOptions } from './jobs/queue.js';
import { cronItems, taskList } from './jobs/tasks.js';
import { configFromEnvironment } from './lib/env.js';
import { createLogger } from './lib/logger.js';
import { shutDownGracefully } from './lib/shutdown.js';
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
  const worker = await startWorker(deps.pool, taskList(deps), log, workerOptions(config, cronItems));
  deps.metrics.observeWorker(worker);
  log.info({ concurrency: config.WORKER_CONCURRENCY, workerId: worker.workerId }, 'worker started');

  shutDownGracefully({ log, config, deps, worker });
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'worker failed');
  process.exit(1);
});
