import { parseCommandLine, runCommand } from '../cli/args.js';
import { configFromEnvironment } from '../lib/env.js';
import { createLogger } from '../lib/logger.js';
import { openDatabase, runningEmbeddedUrl } from './database.js';
import { migrateDatabase } from './migrate.js';

parseCommandLine({
  command: 'npm run db:migrate',
  usage: `usage: npm run db:migrate

Applies pending schema migrations (drizzle/) and the job queue's schema, then exits.
Database: DATABASE_URL; unset, the running API's embedded database in DATA_DIR, or an embedded one of its own.
Safe to run from several processes at once (an advisory lock serialises them).`,
});

await runCommand(async () => {
  const config = configFromEnvironment();
  const log = createLogger(config);
  const running = config.DATABASE_URL ? undefined : runningEmbeddedUrl(config);
  const database = running ? { url: running, stop: async () => {} } : await openDatabase(config, log);
  try {
    await migrateDatabase(database.url);
    log.info('migrations applied');
  } finally {
    await database.stop();
  }
});
