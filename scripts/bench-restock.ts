/**
 * Restock benchmark: `npm run bench:restock -- --waiting 100000 [--workers N] [--concurrency 10] [--keep]`.
 *
 * In a fresh database of its own on the PostgreSQL server (DATABASE_URL, or postgres://postgres@127.0.0.1:5432),
 * creates that many readers waiting for each of two out-of-stock books, starts the API (HTTP on a free port) and
 * the job worker (in this process, or --workers separate `src/worker.ts` processes) with an SMTP relay pointing at
 * a local SMTP sink (in a worker thread, so it does not share the API's event loop). Then, as the shared bench in
 * ../shared/perf does: restocks the first book through `PATCH /books/{id}/stock` (the commit time is the HTTP
 * round trip), runs the raw-SQL anchor on the second book (one transaction: lock, stock, a bulk
 * UPDATE … RETURNING feeding one durable job row per reader), and reports the ratio, then the e-mail rate until
 * every reader's alert reached the sink, with the number of distinct recipients and of duplicates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Runner } from 'graphile-worker';
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
  usage: `usage: npm run bench:restock -- [--waiting <n ≥ 1>] [--policy broadcast|fifo] [--workers <n ≥ 0>] [--concurrency <n ≥ 1>] [--local-queue <n ≥ 0>] [--drain-seconds <s>] [--keep]

Creates a fresh database on DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432) with <waiting>
readers (default 100000) waiting for each of two out-of-stock books; restocks the first through
PATCH /books/{id}/stock and the second with the raw-SQL anchor of ../shared/perf (lock, stock, UPDATE … RETURNING
into one durable job row per reader, one transaction), and reports the commit times, their ratio, and the e-mail
rate to a local SMTP sink (distinct recipients, duplicates). --workers: separate worker processes (default 0: the
worker runs in this process); --concurrency: jobs run at once per worker (default 10); --local-queue: jobs fetched
per query (default WORKER_LOCAL_QUEUE or 0); --drain-seconds: stop measuring the e-mails after that long (default:
until every reader's e-mail arrived); --keep: keep the database; --policy: the restocked book's policy (default
broadcast; fifo tells one reader per copy, with a held copy).`,
  options: {
    waiting: { type: 'string' },
    policy: { type: 'string' },
    workers: { type: 'string' },
    concurrency: { type: 'string' },
    'local-queue': { type: 'string' },
    'drain-seconds': { type: 'string' },
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
const COPIES = 5;
const expectedEmails = policy === 'fifo' ? Math.min(COPIES, waiting) : waiting;
const workers = intOption(spec, 'workers', args.workers, 0, 0, 16);
const concurrency = intOption(spec, 'concurrency', args.concurrency, 10, 1, 100);
const localQueueSize = intOption(
  spec,
  'local-queue',
  args['local-queue'] ?? process.env.WORKER_LOCAL_QUEUE,
  0,
  0,
  10_000,
);
const drainSeconds = intOption(spec, 'drain-seconds', args['drain-seconds'], 0, 0);

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `bookstore_bench_${Date.now().toString(36)}`;
const withDatabase = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};
const benchUrl = withDatabase(serverUrl, dbName);
const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

interface SinkStats {
  messages: number;
  distinct: number;
  duplicates: number;
  /** Date.now() of the first and the last accepted message. */
  first: number;
  last: number;
}

/**
 * An SMTP server on loopback in a worker thread, counting accepted messages, distinct recipients and recipients
 * with more than one message (as the shared bench's sink does), in shared memory.
 */
async function startSink() {
  const shared = new Float64Array(new SharedArrayBuffer(8 * 5));
  const worker = new Worker(
    `
    const { workerData, parentPort } = require('node:worker_threads');
    const { SMTPServer } = require('smtp-server');
    const s = workerData.shared;
    const seen = new Map();
    const server = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS'], logger: false, maxClients: 1000,
      onData(stream, session, callback) {
        stream.on('data', () => {});
        stream.on('end', () => {
          const now = Date.now();
          for (const { address } of session.envelope.rcptTo) {
            const n = (seen.get(address) || 0) + 1;
            seen.set(address, n);
            if (n === 1) s[1] += 1;
            if (n === 2) s[2] += 1;
          }
          if (s[0] === 0) s[3] = now;
          s[4] = now;
          s[0] += 1;
          callback();
        });
      },
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.server.address().port));
    parentPort.on('message', () => server.close(() => process.exit(0)));
    `,
    { eval: true, workerData: { shared } },
  );
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    port,
    stats: (): SinkStats => ({
      messages: shared[0]!,
      distinct: shared[1]!,
      duplicates: shared[2]!,
      first: shared[3]!,
      last: shared[4]!,
    }),
    close: async () => {
      worker.postMessage('close');
      return new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

/** The shared bench's anchor: what a transactional outbox writing one job row per reader must at least do. */
async function anchorRestock(db: pg.Client, bookId: number): Promise<{ ms: number; flipped: number }> {
  await db.query(`CREATE SCHEMA IF NOT EXISTS perf_anchor;
    CREATE TABLE IF NOT EXISTS perf_anchor.restock_jobs (
      id bigserial PRIMARY KEY, task_identifier text NOT NULL, payload json NOT NULL, key text UNIQUE,
      run_at timestamptz NOT NULL DEFAULT now(), attempts smallint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now());
    CREATE INDEX IF NOT EXISTS restock_jobs_run_at ON perf_anchor.restock_jobs (run_at, id);`);
  const started = performance.now();
  await db.query('BEGIN');
  await db.query('SELECT stock_quantity FROM books WHERE id = $1 FOR UPDATE', [bookId]);
  await db.query('UPDATE books SET stock_quantity = 5, updated_at = now() WHERE id = $1', [bookId]);
  const r = await db.query(
    `WITH flipped AS (
       UPDATE pre_bookings SET status = 'notified', notified_at = $2
        WHERE book_id = $1 AND status = 'waiting' RETURNING id, user_id)
     INSERT INTO perf_anchor.restock_jobs (task_identifier, payload, key)
     SELECT 'restock_email', json_build_object('pre_booking_id', id, 'user_id', user_id, 'book_id', $1::int),
            'restock:' || id
       FROM flipped`,
    [bookId, new Date()],
  );
  await db.query('COMMIT');
  return { ms: performance.now() - started, flipped: r.rowCount ?? 0 };
}

function startWorkerProcesses(n: number, env: Record<string, string>): ChildProcess[] {
  return Array.from({ length: n }, () =>
    spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
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
  const [warmupBook, projectBook, anchorBook] = (
    await db.query<{ id: number }>(
      `INSERT INTO books (title, author, price, stock_quantity)
       VALUES ('Warm-up', 'A. Reader', 9.99, 0), ('The Long Wait', 'A. Reader', 12.50, 0),
              ('The Anchor', 'A. Reader', 12.50, 0)
       RETURNING id`,
    )
  ).rows.map((r) => r.id) as [number, number, number];
  await db.query(
    `INSERT INTO users (email, role) SELECT 'reader' || g || '@example.com', 'user' FROM generate_series(1, $1) g`,
    [waiting],
  );
  for (const bookId of [projectBook, anchorBook]) {
    await db.query(
      `INSERT INTO pre_bookings (user_id, book_id, status, created_at)
       SELECT id, $1, 'waiting', now() - interval '1 day' + id * interval '1 millisecond' FROM users WHERE role = 'user'`,
      [bookId],
    );
  }
  if (policy === 'fifo') {
    await db.query(
      `INSERT INTO restock_policies (book_id, policy, hold_seconds) VALUES ($1, 'fifo', 86400)`,
      [projectBook],
    );
  }
  await db.query('VACUUM ANALYZE users, books, pre_bookings');
  console.log(
    `seeded ${waiting} readers waiting for each of two books in ${seconds(performance.now() - seedStarted)}`,
  );

  const sink = await startSink();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-bench-'));
  const env = {
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: benchUrl,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    STORE_URL: 'http://localhost:3000',
    LOG_LEVEL: 'warn',
    WORKER: 'off',
    WORKER_CONCURRENCY: String(concurrency),
    WORKER_LOCAL_QUEUE: String(localQueueSize),
    DB_POOL_MAX: String(concurrency + 10),
  };
  const config = loadConfig(env);
  const log = pino({ level: 'warn' });
  const deps = createDeps(config, log, benchUrl);
  const app = await buildApp(deps);
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  let runner: Runner | undefined;
  let children: ChildProcess[] = [];
  if (workers === 0) {
    runner = await startWorker(deps.pool, taskList(deps), log, { concurrency, localQueueSize });
  } else {
    children = startWorkerProcesses(workers, env);
  }
  const token = await deps.tokens.sign(adminId, 'admin');
  const patch = async (bookId: number, quantity: number) => {
    const res = await fetch(`${baseUrl}/books/${bookId}/stock`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ quantity }),
    });
    if (res.status !== 200) throw new Error(`restock answered ${res.status}: ${await res.text()}`);
  };
  await patch(warmupBook, 3);
  if (workers > 0) await new Promise((r) => setTimeout(r, 3000)); // the worker processes start

  const started = performance.now();
  await patch(projectBook, COPIES);
  const committed = performance.now();
  const commitMs = committed - started;
  const change = (
    await db.query<{ notified_count: number }>(
      'SELECT notified_count FROM stock_changes WHERE book_id = $1',
      [projectBook],
    )
  ).rows[0]!;
  console.log(
    `project: PATCH /books/{id}/stock 0 → ${COPIES} (${policy}) committed in ${seconds(commitMs)} (HTTP round trip): ${change.notified_count} pre-bookings notified`,
  );
  const anchor = await anchorRestock(db, anchorBook);
  console.log(
    `anchor:  raw SQL (lock, stock, UPDATE … RETURNING → ${anchor.flipped} job rows, one tx) in ${seconds(anchor.ms)}`,
  );
  console.log(`commit ratio project/anchor: ${(commitMs / anchor.ms).toFixed(2)}`);

  let lastReport = performance.now();
  while (
    sink.stats().distinct < expectedEmails &&
    (drainSeconds === 0 || performance.now() - committed < drainSeconds * 1000)
  ) {
    await new Promise((r) => setTimeout(r, 50));
    const now = performance.now();
    if (now - lastReport > 10_000) {
      const n = sink.stats().messages;
      console.log(`  ${n} e-mails delivered after ${seconds(now - committed)}`);
      lastReport = now;
    }
  }
  const deliveredAt = performance.now();
  const stats = sink.stats();
  const spread = (stats.last - stats.first) / 1000;
  console.log(
    `e-mails: ${stats.messages} to ${stats.distinct} distinct recipients, ${stats.duplicates} with duplicates; ` +
      `${Math.round((stats.messages - 1) / spread)} e-mails/s first to last ` +
      `(${Math.round(stats.messages / ((deliveredAt - committed) / 1000))}/s from the commit; ` +
      `${workers === 0 ? 'worker in this process' : `${workers} worker processes`}, concurrency ${concurrency})`,
  );

  await runner?.stop();
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve))));
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
