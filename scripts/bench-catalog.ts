/**
 * `npm run bench:catalog`: read throughput and latency of the public catalog.
 * Starts the app on a PostgreSQL server (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres) in a fresh
 * database of its own, loads the demo catalog plus BENCH_BOOKS generated books (default 20000) with reviews, then
 * measures with autocannon (BENCH_CONNECTIONS, default 20; BENCH_SECONDS per URL, default 8) and drops the database.
 * The three hot reads (a book by random id, a random title-ordered page, a random 2-4 letter prefix search) are
 * also measured against an anchor: a bare Fastify route with hand-written SQL on a `pg` pool serving the same
 * answers, alternating app and anchor for BENCH_ROUNDS rounds (default 3); the ratio is app ÷ anchor per round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
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
(default 8), BENCH_ROUNDS app/anchor rounds of the hot reads (default 3).`,
});

const BOOKS = Number(process.env.BENCH_BOOKS ?? 20_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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
  // As the shared bench does after seeding: a freshly bulk-loaded table has no visibility map yet, so every
  // index-only scan (the title list skips its offset in the (title, id) index) would visit the heap until
  // autovacuum came by; a catalog that has been running for a while is in the vacuumed state.
  await deps.db.execute(sql`VACUUM ANALYZE`);
  const one = await deps.db.execute<{ id: number }>(
    sql`SELECT id FROM books ORDER BY id LIMIT 1 OFFSET 1000`,
  );
  return one.rows[0]!.id;
}

async function measure(url: string, paths?: string[]) {
  let next = 0;
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    ...(paths && { requests: [{ setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) }] }),
  });
  return {
    'requests/s': Math.round(r.requests.average),
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/**
 * The anchor: the same three answers with hand-written SQL and JSON, no validation, ORM or schema serializer —
 * what the machine can do, to compare with.
 */
async function startAnchor(url: string) {
  // Dates stay text (as sent); only this pool's type parsing, not the app's.
  const DATE_OID = 1082;
  const types = {
    getTypeParser: (oid: number) =>
      oid === DATE_OID ? (v: string) => v : (pg.types.getTypeParser(oid, 'text') as (v: string) => unknown),
  } as unknown as typeof pg.types;
  const pool = new pg.Pool({ connectionString: url, max: 10, types });
  const cols =
    'b.id, b.title, b.author, b.price, b.isbn, b.genre_id, b.description, b.cover_image_url, b.publish_date, b.stock_quantity';
  const str = (v: string | null) => JSON.stringify(v);
  type Row = Record<string, string | number | null>;
  const book = (b: Row) =>
    `{"id":${b.id},"title":${JSON.stringify(b.title)},"author":${JSON.stringify(b.author)},"price":"${b.price}",` +
    `"isbn":${str(b.isbn as string | null)},"genre_id":${b.genre_id ?? 'null'},"description":${str(b.description as string | null)},` +
    `"cover_image_url":${str(b.cover_image_url as string | null)},"publish_date":${str(b.publish_date as string | null)},"stock_quantity":${b.stock_quantity}`;
  const app = Fastify();
  app.get<{ Params: { id: string } }>('/books/:id', async (req, reply) => {
    const { rows } = await pool.query<Row>({
      name: 'anchor_detail',
      text: `SELECT ${cols}, count(r.id)::int AS n, coalesce(sum(r.rating), 0)::int AS s FROM books b
              LEFT JOIN reviews r ON r.book_id = b.id AND r.deleted_at IS NULL WHERE b.id = $1 GROUP BY b.id`,
      values: [Number(req.params.id)],
    });
    const b = rows[0]!;
    const n = b.n as number;
    let q = Math.floor(((b.s as number) * 10) / n); // half-even to one decimal, as the contract says
    const rem = (b.s as number) * 10 - q * n;
    if (2 * rem > n || (2 * rem === n && q % 2 === 1)) q += 1;
    const avg = n === 0 ? 'null' : String(q / 10);
    return reply
      .type('application/json')
      .send(
        `${book(b)},"avg_rating":${avg},"review_count":${n},"in_stock":${(b.stock_quantity as number) > 0}}`,
      );
  });
  app.get<{ Querystring: { q?: string; page?: string } }>('/books', async (req, reply) => {
    const page = Number(req.query.page ?? 1);
    const offset = (page - 1) * 20;
    let rows: Row[];
    let total: number;
    if (req.query.q) {
      ({ rows } = await pool.query<Row>({
        name: 'anchor_search',
        text: `WITH m AS (SELECT id, ts_rank(search_vector, books_search_query($1)) AS rank FROM books
                           WHERE search_vector @@ books_search_query($1))
               SELECT t.total, ${cols} FROM (SELECT count(*)::int AS total FROM m) t
                 LEFT JOIN LATERAL (SELECT id, rank FROM m ORDER BY rank DESC, id LIMIT 20 OFFSET $2) p ON true
                 LEFT JOIN books b ON b.id = p.id ORDER BY p.rank DESC, p.id`,
        values: [[req.query.q], offset],
      }));
      total = (rows[0]?.total as number | undefined) ?? 0;
    } else {
      total = (
        await pool.query<{ n: number }>({
          name: 'anchor_count',
          text: 'SELECT count(*)::int AS n FROM books',
        })
      ).rows[0]!.n;
      ({ rows } = await pool.query<Row>({
        name: 'anchor_page',
        text: 'SELECT * FROM books b ORDER BY title, id LIMIT 20 OFFSET $1',
        values: [offset],
      }));
    }
    const items = rows.filter((b) => b.id !== null).map((b) => `${book(b)}}`);
    return reply
      .type('application/json')
      .send(`{"items":[${items.join(',')}],"total":${total},"page":${page},"size":20}`);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`,
    close: async () => {
      await app.close();
      await pool.end();
    },
  };
}

/** The request mixes of the hot reads: random existing ids, uniform pages, prefixes of common title words. */
async function hotPaths(deps: Deps) {
  const ids = await deps.db.execute<{ id: number }>(sql`SELECT id FROM books ORDER BY random() LIMIT 4096`);
  const [{ n } = { n: 0 }] = (await deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM books`))
    .rows;
  const pages = Math.ceil(n / 20);
  const prefixes = await deps.db.execute<{ p: string }>(sql`
    SELECT DISTINCT lower(left(w, 2 + length(w) % 3)) AS p
      FROM books, regexp_split_to_table(title, '\s+') w WHERE length(w) >= 4 LIMIT 400`);
  let seed = 1;
  const random = () => ((seed = (seed * 48271) % 2147483647) - 1) / 2147483646;
  return {
    'book-detail': ids.rows.map((r) => `/books/${r.id}`),
    list: Array.from({ length: 4096 }, () => `/books?page=${1 + Math.floor(random() * pages)}&size=20`),
    search: prefixes.rows.map((r) => `/books?q=${encodeURIComponent(r.p)}&size=20`),
  };
}

async function compareWithAnchor(deps: Deps, appBase: string, anchorBase: string) {
  const mixes = await hotPaths(deps);
  const out: Record<string, Record<string, number>> = {};
  for (const [name, paths] of Object.entries(mixes)) {
    // The same answers from both, or the ratio would compare different work.
    for (const p of paths.slice(0, 5)) {
      const [a, b] = await Promise.all(
        [fetch(appBase + p), fetch(anchorBase + p)].map(async (r) => (await r).text()),
      );
      if (JSON.stringify(JSON.parse(a!)) !== JSON.stringify(JSON.parse(b!)))
        console.error(`warning: ${name} ${p}: the anchor answers differently`);
    }
    const ratios: number[] = [];
    const app: number[] = [];
    const anchor: number[] = [];
    const p99: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      console.error(`${name} round ${round}/${ROUNDS}: app, then anchor, ${SECONDS} s each…`);
      await measure(appBase, paths.slice(0, 200)); // warm-up
      const a = await measure(appBase, paths);
      const b = await measure(anchorBase, paths);
      app.push(a['requests/s']);
      anchor.push(b['requests/s']);
      ratios.push(a['requests/s'] / b['requests/s']);
      p99.push(a['p99 ms'] / Math.max(b['p99 ms'], 1));
    }
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
    out[name] = {
      'app req/s': median(app),
      'anchor req/s': median(anchor),
      ratio: Math.round(median(ratios) * 100) / 100,
      'p99 ×': Math.round(median(p99) * 100) / 100,
    };
  }
  return out;
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
    const anchor = await startAnchor(u.toString());
    let hot;
    try {
      hot = await compareWithAnchor(deps, base, anchor.base);
    } finally {
      await anchor.close();
    }
    console.log(`\nCatalog benchmark (${BOOKS + 53} books, ${CONNECTIONS} connections, ${SECONDS} s each)`);
    console.table(rows);
    console.log(
      `\nHot reads against the anchor (bare Fastify + pg, hand-written SQL), medians of ${ROUNDS} rounds; ` +
        'load generator, app and anchor share this process',
    );
    console.table(hot);
    await app.close();
  } finally {
    if (deps) await closeDeps(deps);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await runCommand(main);
