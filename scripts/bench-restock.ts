/**
 * Restock benchmark: `npm run bench:restock -- --waiting 100000 [--concurrency 16] [--local-queue 200] [--keep]`.
 *
 * In a fresh database of its own on the PostgreSQL server (DATABASE_URL, or postgres://postgres@127.0.0.1:5432),
 * creates that many readers each waiting for one out-of-stock book, starts the API (HTTP on a free port) and the
 * job worker with an SMTP relay pointing at a local SMTP sink (in a worker thread, so it does not share the API's
 * event loop), restocks the book through `PATCH /books/{id}/stock`, and reports the time until the stock change
 * committed (the HTTP response) and until every restock e-mail reached the sink.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { intOption, parseCommandLine, runCommand } from '../src/cli/args.js';
import { loadConfig } from '../src/config.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { closeDeps, createDeps } from '../src/deps.js';
import { startWorker } from '../src/jobs/queue.js';
import { taskList } from '../src/jobs/tasks.js';

const spec = {
  command: 'npm run bench:restock',
  usage: `usage: npm run bench:restock -- [--waiting <n ≥ 1>] [--policy broadcast|fifo] [--concurrency <n ≥ 1>] [--local-queue <n ≥ 0>] [--keep]

Creates a fresh database on DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432), with <waiting>
readers (default 100000) waiting for one out-of-stock book, restocks it through PATCH /books/{id}/stock, and
reports the commit time and the e-mail delivery rate to a local SMTP sink. --concurrency: worker concurrency
(default 16); --local-queue: jobs fetched per query (default WORKER_LOCAL_QUEUE or 200); --keep: keep the database.
--policy: the book's restock policy (default broadcast; fifo tells one reader per copy, 50, with a held copy).`,
  options: {
    waiting: { type: 'string' },
    policy: { type: 'string' },
    concurrency: { type: 'string' },
    'local-queue': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
} as const;
const { values: args } = parseCommandLine(spec);
const waiting = intOption(spec, 'waiting', args.waiting, 100_000, 1);
const policy = args.policy ?? 'broadcast';
if (policy !== 'broadcast' && policy !== 'fifo') {
  console.error(`npm run bench:restock: --policy must be broadcast or fifo\n${spec.usage}`);
  process.exit(2);
}
const COPIES = 50;
const expectedEmails = policy === 'fifo' ? Math.min(COPIES, waiting) : waiting;
const concurrency = intOption(spec, 'concurrency', args.concurrency, 16, 1, 1000);
const localQueueSize = intOption(
  spec,
  'local-queue',
  args['local-queue'] ?? process.env.WORKER_LOCAL_QUEUE,
  200,
  0,
  10_000,
);

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `bookstore_bench_${Date.now().toString(36)}`;
const withDatabase = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};
const benchUrl = withDatabase(serverUrl, dbName);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** An SMTP server on loopback in a worker thread; counts accepted messages in shared memory. */
async function startSink(): Promise<{ port: number; delivered: () => number; close: () => Promise<number> }> {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `
    const { workerData, parentPort } = require('node:worker_threads');
    const { SMTPServer } = require('smtp-server');
    const counter = workerData.counter;
    const server = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS'], logger: false, maxClients: 1000,
      onData(stream, _session, callback) {
        stream.on('data', () => {});
        stream.on('end', () => { Atomics.add(counter, 0, 1); callback(); });
      },
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.server.address().port));
    parentPort.on('message', () => server.close(() => process.exit(0)));
    `,
    { eval: true, workerData: { counter } },
  );
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    port,
    delivered: () => Atomics.load(counter, 0),
    close: async () => {
      worker.postMessage('close');
      return new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

async function main() {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  console.log(`database ${dbName} on ${new URL(serverUrl).host}`);
  await migrateDatabase(benchUrl);

  const seedStarted = performance.now();
  const db = new pg.Client({ connectionString: benchUrl });
  await db.connect();
  const adminId = (
    await db.query<{ id: number }>(
      `INSERT INTO users (email, role) VALUES ('bench-admin@example.com', 'admin') RETURNING id`,
    )
  ).rows[0]!.id;
  const bookId = (
    await db.query<{ id: number }>(
      `INSERT INTO books (title, author, price, stock_quantity) VALUES ('The Long Wait', 'A. Reader', 12.50, 0) RETURNING id`,
    )
  ).rows[0]!.id;
  await db.query(
    `INSERT INTO users (email, role) SELECT 'reader' || g || '@example.com', 'user' FROM generate_series(1, $1) g`,
    [waiting],
  );
  await db.query(
    `INSERT INTO pre_bookings (user_id, book_id, status, created_at)
     SELECT id, $1, 'waiting', now() - interval '1 day' + id * interval '1 millisecond' FROM users WHERE role = 'user'`,
    [bookId],
  );
  if (policy === 'fifo') {
    await db.query(
      `INSERT INTO restock_policies (book_id, policy, hold_seconds) VALUES ($1, 'fifo', 86400)`,
      [bookId],
    );
  }
  await db.query('VACUUM ANALYZE users, pre_bookings');
  console.log(`seeded ${waiting} waiting pre-bookings in ${seconds(performance.now() - seedStarted)}`);

  const sink = await startSink();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-bench-'));
  const config = loadConfig({
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: benchUrl,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    STORE_URL: 'http://localhost:3000',
    LOG_LEVEL: 'warn',
    WORKER: 'off',
    WORKER_CONCURRENCY: String(concurrency),
    DB_POOL_MAX: String(concurrency + 10),
  });
  const log = pino({ level: 'warn' });
  const deps = createDeps(config, log, benchUrl);
  const app = await buildApp(deps);
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const runner = await startWorker(deps.pool, taskList(deps), log, { concurrency, localQueueSize });
  const token = await deps.tokens.sign(adminId, 'admin');

  const started = performance.now();
  const res = await fetch(`${baseUrl}/books/${bookId}/stock`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ quantity: COPIES }),
  });
  const committed = performance.now();
  if (res.status !== 200) throw new Error(`restock answered ${res.status}: ${await res.text()}`);
  const change = (
    await db.query<{ notified_count: number }>(
      'SELECT notified_count FROM stock_changes WHERE book_id = $1',
      [bookId],
    )
  ).rows[0]!;
  console.log(
    `restock 0 → ${COPIES} (${policy}) committed in ${seconds(committed - started)} (HTTP round trip): ${change.notified_count} pre-bookings notified, ${expectedEmails} e-mails to send`,
  );

  let lastReport = committed;
  while (sink.delivered() < expectedEmails) {
    await new Promise((r) => setTimeout(r, 50));
    const now = performance.now();
    if (now - lastReport > 5000) {
      const n = sink.delivered();
      console.log(
        `  ${n} e-mails delivered after ${seconds(now - committed)} (${Math.round(n / ((now - committed) / 1000))}/s)`,
      );
      lastReport = now;
    }
  }
  const deliveredAt = performance.now();
  const total = sink.delivered();
  console.log(
    `all ${total} e-mails reached the SMTP sink ${seconds(deliveredAt - committed)} after the commit: ${Math.round(total / ((deliveredAt - committed) / 1000))} e-mails/s (worker concurrency ${concurrency}, local queue ${localQueueSize})`,
  );

  await runner.stop();
  const recorded = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM email_deliveries')).rows[0]!
    .n;
  console.log(`email_deliveries rows: ${recorded}`);
  await app.close();
  await closeDeps(deps);
  await sink.close();
  await db.end();
  rmSync(dataDir, { recursive: true, force: true });
  if (args.keep) console.log(`kept database ${dbName}`);
  else await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
  await admin.end();
}

await runCommand(main);
