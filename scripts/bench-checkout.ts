/**
 * `npm run bench:checkout`: checkout throughput and latency, and e-mail delivery rate.
 * Starts the app on a PostgreSQL server (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres) in a fresh
 * database of its own, with a local SMTP sink, then measures with autocannon:
 *   1. independent carts: every request checks out another user's cart (one line, plenty of stock);
 *   2. contention: many buyers for one book with fewer copies than buyers (the row lock serialises them);
 *   3. e-mail: the worker delivers every queued confirmation to the sink; messages per second.
 * Environment: BENCH_USERS (default 1000), BENCH_CONNECTIONS (default 50), BENCH_CONTENDED_STOCK (default 200).
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
import { closeDeps, createDeps, type Deps } from '../src/deps.js';
import { startWorker } from '../src/jobs/queue.js';
import { taskList } from '../src/jobs/tasks.js';
import { startSmtpSink } from '../test/smtp-sink.js';

parseCommandLine({
  command: 'npm run bench:checkout',
  usage: `usage: npm run bench:checkout

Checkout throughput and latency (independent carts, then many buyers for one book), and the e-mail delivery
rate, in a fresh database on DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432), dropped after.
Environment: BENCH_USERS (default 1000), BENCH_CONNECTIONS (default 50), BENCH_CONTENDED_STOCK (default 200).`,
});

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const CONTENDED_STOCK = Number(process.env.BENCH_CONTENDED_STOCK ?? 200);
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function seedBuyers(deps: Deps, count: number, bookIds: number[]): Promise<string[]> {
  const users = await deps.db.execute<{ id: number }>(sql`
    INSERT INTO users (email, role)
    SELECT 'bench' || g || '.' || ${Date.now()} || '@example.com', 'user' FROM generate_series(1, ${count}) g
    RETURNING id`);
  const ids = users.rows.map((r) => r.id);
  await deps.db.execute(sql`INSERT INTO carts (user_id) SELECT unnest(${sql.param(ids)}::int[])`);
  await deps.db.execute(sql`
    INSERT INTO cart_items (cart_id, book_id, quantity)
    SELECT c.id, (${sql.param(bookIds)}::int[])[1 + (c.user_id % ${bookIds.length})], 1
    FROM carts c WHERE c.user_id = ANY(${sql.param(ids)}::int[])`);
  return Promise.all(ids.map((id) => deps.tokens.sign(id, 'user')));
}

async function createBooks(deps: Deps, count: number, stock: number): Promise<number[]> {
  const result = await deps.db.execute<{ id: number }>(sql`
    INSERT INTO books (title, author, price, stock_quantity)
    SELECT 'Bench book ' || g, 'Bench author', 9.99, ${stock} FROM generate_series(1, ${count}) g
    RETURNING id`);
  return result.rows.map((r) => r.id);
}

async function checkoutRun(baseUrl: string, tokens: string[]) {
  let next = 0;
  const result = await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    amount: tokens.length,
    requests: [
      {
        method: 'POST',
        path: '/orders/checkout',
        setupRequest: (req) => ({
          ...req,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${tokens[next++ % tokens.length]!}`,
          },
          body: '{}',
        }),
      },
    ],
  });
  const codes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, (s as { count: number }).count]),
  );
  const seconds = result.duration || 1;
  return {
    'requests/s': Math.round(tokens.length / seconds),
    'orders/s': Math.round((codes['201'] ?? 0) / seconds),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'status codes': JSON.stringify(codes),
    errors: result.errors + result.timeouts,
  };
}

async function main() {
  const dbName = `bookstore_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = withDatabase(adminUrl, dbName);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-bench-'));
  const sink = await startSmtpSink(0, { parse: false });
  let deps: Deps | undefined;
  try {
    await migrateDatabase(url);
    const config = loadConfig({
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WORKER: 'off',
      SMTP_URL: sink.url,
      DB_POOL_MAX: '20',
      SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
    });
    deps = createDeps(config, pino({ level: 'warn' }), url);
    const app = await buildApp(deps);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address() as { port: number };
    const baseUrl = `http://127.0.0.1:${address.port}`;

    console.error(`creating ${2 * USERS + 100} buyers with a cart each…`);
    const independentBooks = await createBooks(deps, 100, 1_000_000);
    const independent = await seedBuyers(deps, USERS, independentBooks);
    const [contendedBook] = await createBooks(deps, 1, CONTENDED_STOCK);
    const contended = await seedBuyers(deps, USERS, [contendedBook!]);

    // Warm-up: JIT, pool connections.
    const warm = await seedBuyers(deps, 100, independentBooks);
    await checkoutRun(baseUrl, warm);

    const rows: Record<string, Record<string, string | number>> = {};
    console.error(`[1/3] ${USERS} checkouts of independent carts…`);
    rows[`independent carts (${USERS} buyers)`] = await checkoutRun(baseUrl, independent);
    console.error(`[2/3] ${USERS} buyers for ${CONTENDED_STOCK} copies of one book…`);
    rows[`one book, ${CONTENDED_STOCK} copies, ${USERS} buyers`] = await checkoutRun(baseUrl, contended);

    const queued = await deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM graphile_worker.jobs`,
    );
    const toSend = queued.rows[0]!.n;
    const delivered = sink.state.count;
    console.error(`[3/3] delivering ${toSend} confirmation e-mails…`);
    const started = performance.now();
    const worker = await startWorker(deps.pool, taskList(deps), deps.log, {
      concurrency: config.WORKER_CONCURRENCY,
      pollInterval: 100,
    });
    await sink.waitFor(delivered + toSend, 600_000);
    const seconds = (performance.now() - started) / 1000;
    await worker.stop();
    rows[`e-mail: ${toSend} confirmations to the SMTP sink`] = {
      'e-mails/s': Math.round(toSend / seconds),
      'total s': Number(seconds.toFixed(2)),
      'worker concurrency': config.WORKER_CONCURRENCY,
    };

    const stock = await deps.db.execute<{ s: number }>(
      sql`SELECT stock_quantity AS s FROM books WHERE id = ${contendedBook!}`,
    );
    console.log(`\nCheckout benchmark (${CONNECTIONS} connections, PostgreSQL at ${new URL(adminUrl).host})`);
    console.table(rows);
    console.log(`contended book: final stock ${stock.rows[0]!.s} (started at ${CONTENDED_STOCK})`);
    await app.close();
  } finally {
    if (deps) await closeDeps(deps);
    await sink.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await runCommand(main);
