/**
 * `npm run bench:catalog`: read throughput and latency of the public catalog.
 * Starts the app on a PostgreSQL server (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres) in a fresh
 * database of its own, loads the demo catalog plus BENCH_BOOKS generated books (default 20000) with reviews, then
 * measures with autocannon (BENCH_CONNECTIONS, default 20; BENCH_SECONDS per URL, default 8) and drops the database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { parseCommandLine, runCommand } from '../src/cli/args.js';
import { loadConfig } from '../src/config.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { seedCatalog } from '../src/db/seed.js';
import { closeDeps, createDeps, type Deps } from '../src/deps.js';

parseCommandLine({
  command: 'npm run bench:catalog',
  usage: `usage: npm run bench:catalog

Read throughput and latency of the public catalog, in a fresh database on DATABASE_URL's server (default
postgres://postgres@127.0.0.1:5432), dropped after; progress on stderr, the table on stdout.
Environment: BENCH_BOOKS generated books (default 20000), BENCH_CONNECTIONS (default 20), BENCH_SECONDS per URL
(default 8).`,
});

const BOOKS = Number(process.env.BENCH_BOOKS ?? 20_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function fill(deps: Deps): Promise<number> {
  await seedCatalog(deps.db);
  const words = [
    'night',
    'river',
    'garden',
    'empire',
    'winter',
    'glass',
    'shadow',
    'letters',
    'ocean',
    'machine',
  ];
  await deps.db.execute(sql`
    INSERT INTO books (title, author, price, stock_quantity, publish_date, genre_id)
    SELECT 'The ' || (${sql.param(words)}::text[])[1 + g % 10] || ' of ' || (${sql.param(words)}::text[])[1 + (g / 10) % 10]
             || ' ' || g,
           'Author ' || (g % 997), 5 + (g % 4000) / 100.0, g % 7, DATE '1950-01-01' + (g % 25000),
           (SELECT id FROM genres ORDER BY id LIMIT 1 OFFSET g % 10)
    FROM generate_series(1, ${BOOKS}) g`);
  const users = await deps.db.execute<{ id: number }>(sql`
    INSERT INTO users (email) SELECT 'reader' || g || '@example.com' FROM generate_series(1, 200) g RETURNING id`);
  await deps.db.execute(sql`
    INSERT INTO reviews (user_id, book_id, rating)
    SELECT u, b, 1 + (u + b) % 5
    FROM unnest(${sql.param(users.rows.map((r) => r.id))}::int[]) u
    CROSS JOIN LATERAL (SELECT id AS b FROM books WHERE id % 200 = u % 200 LIMIT 20) x`);
  await deps.db.execute(sql`ANALYZE`);
  const one = await deps.db.execute<{ id: number }>(
    sql`SELECT id FROM books ORDER BY id LIMIT 1 OFFSET 1000`,
  );
  return one.rows[0]!.id;
}

async function measure(url: string) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
  return {
    'requests/s': Math.round(r.requests.average),
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

async function main() {
  const dbName = `bookstore_bench_catalog_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-bench-'));
  let deps: Deps | undefined;
  try {
    await migrateDatabase(u.toString());
    const config = loadConfig({
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WORKER: 'off',
      SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
    });
    deps = createDeps(config, pino({ level: 'warn' }), u.toString());
    console.error(`loading the demo catalog and ${BOOKS} generated books with reviews…`);
    const bookId = await fill(deps);
    const app = await buildApp(deps);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const urls: Record<string, string> = {
      'GET /books (title order, page 1)': '/books?size=20',
      'GET /books?q=night riv (search)': '/books?q=night%20riv&size=20',
      'GET /books?author=or 99&sort=price': '/books?author=or%2099&sort=price&size=20',
      'GET /books?sort=avg_rating': '/books?sort=avg_rating&size=20',
      'GET /books?page=500': '/books?page=500&size=20',
      'GET /books/{id} (with rating)': `/books/${bookId}`,
      'GET /books/{id}/reviews': `/books/${bookId}/reviews`,
    };
    console.error(`warming up for ${SECONDS} s…`);
    await measure(`${base}/books?size=20`); // warm-up
    const rows: Record<string, Record<string, number>> = {};
    let n = 0;
    for (const [name, p] of Object.entries(urls)) {
      console.error(`[${++n}/${Object.keys(urls).length}] ${name}: ${SECONDS} s…`);
      rows[name] = await measure(base + p);
    }
    console.log(`\nCatalog benchmark (${BOOKS + 53} books, ${CONNECTIONS} connections, ${SECONDS} s each)`);
    console.table(rows);
    await app.close();
  } finally {
    if (deps) await closeDeps(deps);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await runCommand(main);
