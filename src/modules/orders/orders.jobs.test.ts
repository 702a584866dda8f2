import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cronItems, taskList } from '../../jobs/tasks.js';
import { createBook, createUser, useTestApp } from '../../../test/helpers.js';
import { IDEMPOTENCY_KEY_PURGE_TASK, purgeExpiredIdempotencyKeys } from './orders.jobs.js';

const HOUR_MS = 60 * 60 * 1000;

const t = useTestApp({ env: { IDEMPOTENCY_KEY_TTL_HOURS: '2' } });

async function orderWithKey(userId: number, key: string, ageMs: number): Promise<number> {
  const r = await t.deps.db.execute<{ id: number }>(sql`
    INSERT INTO orders (user_id, status, idempotency_key, created_at)
    VALUES (${userId}, 'confirmed', ${key}, ${new Date(Date.now() - ageMs).toISOString()})
    RETURNING id`);
  return r.rows[0]!.id;
}

async function keysOf(userId: number): Promise<(string | null)[]> {
  const r = await t.deps.db.execute<{ key: string | null }>(
    sql`SELECT idempotency_key AS key FROM orders WHERE user_id = ${userId} ORDER BY id`,
  );
  return r.rows.map((x) => x.key);
}

describe('idempotency-key purge', () => {
  it('releases the keys older than IDEMPOTENCY_KEY_TTL_HOURS and keeps the orders and the younger keys', async () => {
    const user = await createUser(t);
    await orderWithKey(user.id, 'old', 2 * HOUR_MS + 60_000);
    await orderWithKey(user.id, 'young', 2 * HOUR_MS - 60_000);
    await orderWithKey(user.id, 'older', 30 * 24 * HOUR_MS);
    expect(await purgeExpiredIdempotencyKeys(t.deps, new Date())).toBe(2);
    expect(await keysOf(user.id)).toEqual([null, 'young', null]);
    // Idempotent: nothing more to release.
    expect(await purgeExpiredIdempotencyKeys(t.deps, new Date())).toBe(0);
  });

  it('works through more keys than one batch', async () => {
    const user = await createUser(t);
    await t.deps.db.execute(sql`
      INSERT INTO orders (user_id, status, idempotency_key, created_at)
      SELECT ${user.id}, 'confirmed', 'bulk-' || i, now() - interval '3 hours'
      FROM generate_series(1, 2500) AS i`);
    expect(await purgeExpiredIdempotencyKeys(t.deps, new Date())).toBe(2500);
    expect((await keysOf(user.id)).every((k) => k === null)).toBe(true);
  });

  it('is a task of the worker, scheduled hourly by its crontab', () => {
    expect(taskList(t.deps)).toHaveProperty(IDEMPOTENCY_KEY_PURGE_TASK);
    expect(cronItems).toContainEqual(
      expect.objectContaining({ task: IDEMPOTENCY_KEY_PURGE_TASK, identifier: IDEMPOTENCY_KEY_PURGE_TASK }),
    );
  });

  it('a checkout replays a key only within IDEMPOTENCY_KEY_TTL_HOURS', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 5 });
    const add = () =>
      t.app.inject({
        method: 'POST',
        url: '/cart/items',
        headers: user.auth,
        payload: { book_id: book.id, quantity: 1 },
      });
    const checkout = () =>
      t.app.inject({
        method: 'POST',
        url: '/orders/checkout',
        headers: { ...user.auth, 'idempotency-key': 'ttl' },
        payload: {},
      });
    expect((await add()).statusCode).toBe(201);
    const first = await checkout();
    expect(first.statusCode).toBe(201);
    const firstId = first.json<{ id: number }>().id;
    // Older than the 2 hours set here (but well within the default 24): no longer a replay.
    await t.deps.db.execute(
      sql`UPDATE orders SET created_at = now() - interval '2 hours 1 minute' WHERE id = ${firstId}`,
    );
    expect((await add()).statusCode).toBe(201);
    const later = await checkout();
    expect(later.statusCode).toBe(201);
    expect(later.json<{ id: number }>().id).not.toBe(firstId);
  });
});
