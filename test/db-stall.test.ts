import { sql } from 'drizzle-orm';
import pg from 'pg';
import { pino } from 'pino';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { allowLongStatements, READ_DEADLINE_MARGIN_MS } from '../src/db/client.js';
import { closeDeps, createDeps, type Deps } from '../src/deps.js';
import { createDbProxy } from './db-proxy.js';
import { createAdmin, createBook, createTestDatabase, testConfig, type TestApp } from './helpers.js';
import { patchStock } from './requests.js';

const STATEMENT_TIMEOUT_MS = 500;
const LOCK_TIMEOUT_MS = 300;
const CONNECT_TIMEOUT_MS = 500;
const POOL_MAX = 3;
/** Scheduling slack on a loaded machine, on top of each bound. */
const SLACK_MS = 700;

let deps: Deps;
let app: TestApp;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let proxy: ReturnType<typeof createDbProxy>;

beforeAll(async () => {
  database = await createTestDatabase();
  proxy = createDbProxy(new URL(database.url));
  await proxy.open();
  const config = testConfig({
    DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
    DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS),
    DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    DB_LONG_STATEMENT_TIMEOUT_MS: '10000',
    DB_POOL_MAX: String(POOL_MAX),
  });
  deps = createDeps(config, pino({ level: 'silent' }), proxy.url());
  app = await buildApp(deps);
  // Test-only: a statement as slow as asked.
  app.get(
    '/test/sleep',
    { schema: { querystring: z.object({ seconds: z.coerce.number().max(10) }) } },
    async (request) => {
      await deps.db.execute(sql`SELECT pg_sleep(${request.query.seconds})`);
      return { slept: request.query.seconds };
    },
  );
  await app.ready();
});

afterAll(async () => {
  proxy.thaw();
  await app.close();
  await closeDeps(deps);
  await database.drop();
});

async function timed<T>(run: () => Promise<T>) {
  const started = performance.now();
  const res = await run();
  return { res, ms: performance.now() - started };
}

const expectUnavailable = (res: {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): unknown;
}) => {
  expect(res.statusCode).toBe(503);
  expect(res.json()).toEqual({ detail: 'Service temporarily unavailable', code: 'SERVICE_UNAVAILABLE' });
  expect(res.headers['retry-after']).toBe('1');
};

/** A session of its own, straight to the database (not through the app's pool or the proxy). */
async function otherSession() {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return client;
}

describe('bounded database work', () => {
  it('cancels a statement past DB_STATEMENT_TIMEOUT_MS and answers 503 with Retry-After, not a hang', async () => {
    const { res, ms } = await timed(() => app.inject({ method: 'GET', url: '/test/sleep?seconds=5' }));
    expectUnavailable(res);
    expect(ms).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(STATEMENT_TIMEOUT_MS + SLACK_MS);
    // The connection is fine afterwards: a short statement passes.
    expect((await app.inject({ method: 'GET', url: '/test/sleep?seconds=0.05' })).statusCode).toBe(200);
  });

  it('gives up a lock held by another session after DB_LOCK_TIMEOUT_MS with 503, then works once it is free', async () => {
    const admin = await createAdmin({ deps });
    const book = await createBook({ deps }, { stock: 3 });
    const holder = await otherSession();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM books WHERE id = $1 FOR UPDATE', [book.id]);
      const { res, ms } = await timed(() => patchStock(app, admin, book.id, 7));
      expectUnavailable(res);
      expect(ms).toBeLessThan(LOCK_TIMEOUT_MS + SLACK_MS);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const after = await patchStock(app, admin, book.id, 7);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ stock_quantity: 7 });
  });

  it('gives the restock and book deletion the long allowance, and only them', async () => {
    const admin = await createAdmin({ deps });
    const book = await createBook({ deps }, { stock: 0 });
    // Every write of this book now takes longer than the ordinary statement timeout.
    const slow = await otherSession();
    try {
      await slow.query(`
        CREATE FUNCTION test_slow_book_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(0.8); RETURN COALESCE(NEW, OLD); END $$;
        CREATE TRIGGER test_slow_book_write BEFORE UPDATE OR DELETE ON books
          FOR EACH ROW WHEN (OLD.id = ${book.id}) EXECUTE FUNCTION test_slow_book_write();`);

      const update = await app.inject({
        method: 'PUT',
        url: `/books/${book.id}`,
        headers: admin.auth,
        payload: { title: 'Not so fast' },
      });
      expectUnavailable(update);

      const restock = await patchStock(app, admin, book.id, 5);
      expect(restock.statusCode).toBe(200);
      expect(restock.json()).toMatchObject({ stock_quantity: 5 });

      const removed = await app.inject({ method: 'DELETE', url: `/books/${book.id}`, headers: admin.auth });
      expect(removed.statusCode).toBe(204);
    } finally {
      await slow.query('DROP TRIGGER IF EXISTS test_slow_book_write ON books');
      await slow.query('DROP FUNCTION IF EXISTS test_slow_book_write()');
      await slow.end();
    }
  });

  it('raises the client read deadline with a long allowance and restores it when the connection is released', async () => {
    const longer = (STATEMENT_TIMEOUT_MS + READ_DEADLINE_MARGIN_MS + 300) / 1000;
    await deps.db.transaction(async (tx) => {
      await allowLongStatements(tx, 10_000);
      await tx.execute(sql`SELECT pg_sleep(${longer})`);
    });
    // The same pooled connections afterwards have the ordinary bounds again.
    const results = await Promise.allSettled(
      Array.from({ length: POOL_MAX }, () => deps.db.execute(sql`SELECT pg_sleep(${longer})`)),
    );
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(((r as PromiseRejectedResult).reason as { cause?: { code?: string } }).cause?.code).toBe(
        '57014',
      );
    }
  });

  it('answers 503 within DB_CONNECT_TIMEOUT_MS when every pooled connection is taken', async () => {
    const taken = await Promise.all(Array.from({ length: POOL_MAX }, () => deps.pool.connect()));
    try {
      const { res, ms } = await timed(() => app.inject({ method: 'GET', url: '/genres' }));
      expectUnavailable(res);
      expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS + SLACK_MS);
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
    } finally {
      for (const client of taken) client.release();
    }
    expect((await app.inject({ method: 'GET', url: '/genres' })).statusCode).toBe(200);
  });

  it('answers 503 within the bounds while the database is frozen, says not ready, and recovers when it thaws', async () => {
    // Warm connections first, so that the freeze catches queries on open connections as well as new ones.
    await Promise.all(
      Array.from({ length: POOL_MAX }, () => app.inject({ method: 'GET', url: '/test/sleep?seconds=0.1' })),
    );
    proxy.freeze();
    try {
      const onOpenConnections = await Promise.all(
        Array.from({ length: POOL_MAX }, () => timed(() => app.inject({ method: 'GET', url: '/genres' }))),
      );
      for (const { res, ms } of onOpenConnections) {
        expectUnavailable(res);
        expect(ms).toBeLessThan(STATEMENT_TIMEOUT_MS + READ_DEADLINE_MARGIN_MS + SLACK_MS);
      }
      // The frozen connections were dropped: the next requests wait for new ones, which cannot start.
      const { res, ms } = await timed(() => app.inject({ method: 'GET', url: '/genres' }));
      expectUnavailable(res);
      expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS + SLACK_MS);

      const ready = await timed(() => app.inject({ method: 'GET', url: '/health/ready' }));
      expect(ready.res.statusCode).toBe(503);
      expect(ready.ms).toBeLessThan(2000 + SLACK_MS);
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      proxy.thaw();
    }
    const deadline = Date.now() + 5000;
    let ready = await app.inject({ method: 'GET', url: '/health/ready' });
    while (ready.statusCode !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await app.inject({ method: 'GET', url: '/health/ready' });
    }
    expect(ready.json()).toEqual({ status: 'ok', database: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/genres' })).statusCode).toBe(200);
  });
});
