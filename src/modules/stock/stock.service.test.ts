import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../lib/clock.js';
import { createBook, createUser, useTestDeps } from '../../../test/helpers.js';
import { createPreBookingService } from '../prebooks/prebooks.service.js';
import { createStockService } from './stock.service.js';

/**
 * The business rules of a stock change, at the service level (the HTTP tests cover the same through the routes):
 * a restock flips the waiting readers in its own transaction, under the book's policy, and records itself once.
 */
const clock: Clock & { at: number } = {
  at: Date.parse('2026-06-01T10:00:00Z'),
  now: () => new Date(clock.at),
};
const t = useTestDeps({ deps: { clock } });
const stock = () => createStockService(t.deps);
const prebooks = () => createPreBookingService(t.deps);

async function waitingReaders(count: number, bookId: number) {
  const readers = [];
  for (let i = 0; i < count; i++) {
    const user = await createUser(t);
    await prebooks().preBook(user.id, bookId);
    clock.at += 1000; // a queue order that does not depend on the clock's resolution
    readers.push(user);
  }
  return readers;
}

const statuses = async (bookId: number) =>
  (
    await t.deps.db.execute<{ user_id: number; status: string; held: boolean }>(
      sql`SELECT user_id, status, hold_expires_at IS NOT NULL AS held FROM pre_bookings
          WHERE book_id = ${bookId} ORDER BY id`,
    )
  ).rows;

describe('stock service: restock', () => {
  it('broadcast: 0 → 3 notifies every waiting reader in the same transaction and records one stock change', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const book = await createBook(t, { stock: 0 });
    await waitingReaders(5, book.id);

    const updated = await stock().setStock(book.id, 3, admin.id);

    expect(updated.stockQuantity).toBe(3);
    expect((await statuses(book.id)).map((r) => r.status)).toEqual(Array(5).fill('notified'));
    const changes = await t.deps.db.execute<{
      old_quantity: number;
      new_quantity: number;
      notified_count: number;
    }>(sql`SELECT old_quantity, new_quantity, notified_count FROM stock_changes WHERE book_id = ${book.id}`);
    expect(changes.rows).toEqual([{ old_quantity: 0, new_quantity: 3, notified_count: 5 }]);
    // One wave and its one fan-out job: the alerts are sent after commit, never inside the transaction.
    const waves = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM restock_waves WHERE book_id = ${book.id}`,
    );
    expect(waves.rows[0]!.n).toBe(1);
  });

  it('broadcast: a change that is not a restock (3 → 5) notifies nobody', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const book = await createBook(t, { stock: 0 });
    await stock().setStock(book.id, 3, admin.id);
    const reader = await createUser(t);
    // In stock: a pre-booking is refused, so nobody can be waiting; the change is recorded without readers.
    await expect(prebooks().preBook(reader.id, book.id)).rejects.toMatchObject({
      code: 'PREBOOK_BOOK_IN_STOCK',
    });
    await stock().setStock(book.id, 5, admin.id);
    const changes = await t.deps.db.execute<{ notified_count: number }>(
      sql`SELECT notified_count FROM stock_changes WHERE book_id = ${book.id} ORDER BY id`,
    );
    expect(changes.rows.map((r) => r.notified_count)).toEqual([0, 0]);
  });

  it('fifo: 2 copies for 5 readers hold one copy each for the first two; availability says so', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const book = await createBook(t, { stock: 0 });
    await stock().setPolicy(book.id, { policy: 'fifo', holdSeconds: 600 }, admin.id);
    const readers = await waitingReaders(5, book.id);

    await stock().setStock(book.id, 2, admin.id);

    expect(await statuses(book.id)).toEqual(
      readers.map((r, i) => ({ user_id: r.id, status: i < 2 ? 'notified' : 'waiting', held: i < 2 })),
    );
    expect(await stock().availability(book.id)).toMatchObject({
      stock_quantity: 2,
      held: 2,
      available: 0,
      waiting: 3,
      policy: 'fifo',
    });
  });

  it('fifo: lowering the stock below the held copies hands the newest holds back to the queue', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const book = await createBook(t, { stock: 0 });
    await stock().setPolicy(book.id, { policy: 'fifo', holdSeconds: 600 }, admin.id);
    const readers = await waitingReaders(3, book.id);
    await stock().setStock(book.id, 3, admin.id);

    await stock().setStock(book.id, 1, admin.id);

    expect(await statuses(book.id)).toEqual([
      { user_id: readers[0]!.id, status: 'notified', held: true },
      { user_id: readers[1]!.id, status: 'waiting', held: false },
      { user_id: readers[2]!.id, status: 'waiting', held: false },
    ]);
  });

  it('truly concurrent restocks of one book notify each reader once', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const book = await createBook(t, { stock: 0 });
    await waitingReaders(20, book.id);

    await Promise.all([stock().setStock(book.id, 2, admin.id), stock().setStock(book.id, 4, admin.id)]);

    // Exactly one of the two saw stock 0 and is the restock; the other is a change between positive numbers.
    const changes = await t.deps.db.execute<{ old_quantity: number; notified_count: number }>(
      sql`SELECT old_quantity, notified_count FROM stock_changes WHERE book_id = ${book.id} ORDER BY id`,
    );
    expect(changes.rows).toHaveLength(2);
    expect(changes.rows[0]).toEqual({ old_quantity: 0, notified_count: 20 });
    expect([2, 4]).toContain(changes.rows[1]!.old_quantity);
    expect(changes.rows[1]!.notified_count).toBe(0);
    const waves = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM restock_waves WHERE book_id = ${book.id}`,
    );
    expect(waves.rows[0]!.n).toBe(1);
  });

  it('an unknown book is BOOK_NOT_FOUND and writes nothing', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const before = await t.deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM stock_changes`);
    await expect(stock().setStock(2_000_000_000, 5, admin.id)).rejects.toMatchObject({
      code: 'BOOK_NOT_FOUND',
    });
    const after = await t.deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM stock_changes`);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });
});
