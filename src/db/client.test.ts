import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase } from '../../test/helpers.js';
import { createDbProxy } from '../../test/db-proxy.js';
import { createPool, namedRead, READ_DEADLINE_MARGIN_MS } from './client.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: ReturnType<typeof createPool>;
beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool(database.url, 2, {
    statementTimeoutMs: 2000,
    lockTimeoutMs: 1000,
    connectTimeoutMs: 2000,
  });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

describe('namedRead', () => {
  it('reads values as Drizzle columns read them: dates and timestamps as text, numerics as text, bigints as numbers', async () => {
    const run = namedRead(
      pool,
      'client_test_types',
      `SELECT $1::date AS d, $2::timestamptz AS ts, $3::timestamp AS t, $4::numeric(10, 2) AS price,
              $5::bigint AS n, $6::int AS i, $7::text AS s, NULL::int AS missing`,
    );
    const rows = await run([
      '2024-05-01',
      '2024-05-01 12:34:56.123456+00',
      '2024-05-01 12:34:56',
      '12.50',
      '7',
      3,
      'x',
    ]);
    expect(rows).toEqual([
      ['2024-05-01', '2024-05-01 12:34:56.123456+00', '2024-05-01 12:34:56', '12.50', 7, 3, 'x', null],
    ]);
  });

  it("rejects with the server's error, and the same statement runs again afterwards", async () => {
    const run = namedRead(pool, 'client_test_error', 'SELECT 10 / $1::int AS q');
    const failed = await run([0]).then(
      () => undefined,
      (err: unknown) => err as { code?: string },
    );
    expect(failed?.code).toBe('22012');
    expect(await run([5])).toEqual([[2]]);
    expect(await Promise.all([run([1]), run([2]), run([10])])).toEqual([[[10]], [[5]], [[1]]]);
  });

  it('runs as a named statement, parsed once per connection', async () => {
    const single = createPool(database.url, 1);
    try {
      const run = namedRead(single, 'client_test_named', 'SELECT $1::int + 1');
      for (let i = 0; i < 4; i++) expect(await run([i])).toEqual([[i + 1]]);
      const { rows } = await single.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'client_test_named'",
      );
      expect(rows[0]!.n).toBe(1);
    } finally {
      await single.end();
    }
  });
});

describe('read deadline', () => {
  it('cuts a frozen query at its own deadline, also when the watchdog was armed by an earlier query', async () => {
    const proxy = createDbProxy(new URL(database.url));
    await proxy.open();
    const statementTimeoutMs = 300;
    const deadline = statementTimeoutMs + READ_DEADLINE_MARGIN_MS;
    const bounded = createPool(proxy.url(), 1, {
      statementTimeoutMs,
      lockTimeoutMs: 200,
      connectTimeoutMs: 2000,
    });
    try {
      // Arms the watchdog for `deadline` from now; the frozen query below is sent well within that time.
      await bounded.query('SELECT 1');
      const wait = deadline * 0.6;
      await new Promise((r) => setTimeout(r, wait));
      proxy.freeze();
      const started = performance.now();
      const failed = await bounded.query('SELECT 2').then(
        () => undefined,
        (err: unknown) => err,
      );
      const ms = performance.now() - started;
      expect(String(failed)).toMatch(/Connection terminated/);
      // Not when the first watchdog fired (deadline - wait after the send), but at the query's own deadline.
      expect(ms).toBeGreaterThanOrEqual(deadline - 20);
      expect(ms).toBeLessThan(deadline + 700);
    } finally {
      proxy.thaw();
      await bounded.end();
      await proxy.cut();
    }
  });
});

describe('waiting for a pooled connection', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('fails each waiter when its own wait is up, in arrival order, and hands a released client to the next one still waiting', async () => {
    const waitMs = 1000;
    const gap = 300;
    const single = createPool(database.url, 1, {
      statementTimeoutMs: 2000,
      lockTimeoutMs: 1000,
      connectTimeoutMs: waitMs,
    });
    // Every client handed out here, given back in `finally` if a failed expectation left it out (else end() waits).
    const unreleased = new Set<pg.PoolClient>();
    const release = (client: pg.PoolClient) => {
      unreleased.delete(client);
      client.release();
    };
    const held = await single.connect();
    unreleased.add(held);
    try {
      const started = performance.now();
      const settle = (p: Promise<pg.PoolClient>) =>
        p.then(
          (client) => (unreleased.add(client), { client, ms: performance.now() - started }),
          (err: unknown) => ({ err, ms: performance.now() - started }),
        );
      // Three waiters, `gap` apart (the first in pg's callback form, as pool.query asks).
      const first = settle(
        new Promise<pg.PoolClient>((resolve, reject) =>
          single.connect((err, client) => (err ? reject(err) : resolve(client!))),
        ),
      );
      await sleep(gap);
      const second = settle(single.connect());
      await sleep(gap);
      const third = settle(single.connect());
      expect(single.waitingCount).toBe(3);

      // At waitMs the first is failed; the client comes back a third of a gap later and goes to the second, which
      // still has two thirds of a gap to wait.
      const a = await first;
      expect(String((a as { err?: unknown }).err)).toMatch(/timeout exceeded when trying to connect/);
      expect(a.ms).toBeGreaterThanOrEqual(waitMs - 5);
      await sleep(Math.max(0, waitMs + gap / 3 - (performance.now() - started)));
      release(held);
      const b = await second;
      expect((b as { client?: pg.PoolClient }).client).toBeDefined();
      expect(b.ms).toBeLessThan(gap + waitMs);

      // The second keeps it: the third is failed at its own time, not earlier.
      const c = await third;
      expect(String((c as { err?: unknown }).err)).toMatch(/timeout exceeded when trying to connect/);
      expect(c.ms).toBeGreaterThanOrEqual(2 * gap + waitMs - 5);
      expect(single.waitingCount).toBe(0);

      release((b as { client: pg.PoolClient }).client);
      const { rows } = await single.query<{ n: number }>('SELECT 1 AS n');
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      for (const client of unreleased) client.release();
      await single.end();
    }
  });
});
