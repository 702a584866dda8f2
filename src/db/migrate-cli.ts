import { configFromEnvironment } from '../lib/env.js';
import { createLogger } from '../lib/logger.js';
import { openDatabase, runningEmbeddedUrl } from './database.js';
import { migrateDatabase } from './migrate.js';

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
