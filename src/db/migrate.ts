import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Logger, runMigrations } from 'graphile-worker';
import pg from 'pg';

const silentLogger = new Logger(() => () => {});

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/** Applies pending schema migrations and the job queue's own schema; safe to run from several processes at once. */
export async function migrateDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['bookstore:migrate']);
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
    await runMigrations({ connectionString: url, logger: silentLogger });
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['bookstore:migrate']).catch(() => {});
    await client.end();
  }
}
