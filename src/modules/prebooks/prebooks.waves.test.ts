import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { addJob } from '../../jobs/queue.js';
import { taskList } from '../../jobs/tasks.js';
import { lockBookForStockChange } from '../stock/stock.locks.js';
import { notifyWaiting } from './prebooks.waves.js';
import {
  createAdmin,
  createBook,
  createUser,
  startTestApp,
  type TestUser,
  useAdmin,
  useTestApp,
} from '../../../test/helpers.js';
import { patchStock, postPreBooking } from '../../../test/requests.js';

const t = useTestApp();
const admin = useAdmin(t);

const preBook = async (user: TestUser, bookId: number): Promise<number> => {
  const res = await postPreBooking(t.app, user, bookId);
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
};

const setStock = (bookId: number, quantity: number) => patchStock(t.app, admin, bookId, quantity);

const listNotifications = async (user: TestUser) => {
  const res = await t.app.inject({ method: 'GET', url: '/notifications', headers: user.auth });
  expect(res.statusCode).toBe(200);
  return res.json<{
    items: { id: number; title: string; pre_booking_id: number; is_read: boolean }[];
    unread_count: number;
  }>();
};

const runJobs = () => runOnce({ pgPool: t.deps.pool, taskList: taskList(t.deps), noHandleSignals: true });

async function statuses(bookId: number) {
  const r = await t.deps.db.execute<{ id: number; status: string; wave_id: number | null }>(
    sql`SELECT id, status, wave_id FROM pre_bookings WHERE book_id = ${bookId} ORDER BY id`,
  );
  return r.rows;
}

describe('notifyWaiting (one wave of alerts)', () => {
  it('with a limit flips only the first readers in queue order, with one fan-out job and the hold on the wave', async () => {
    const book = await createBook(t, { stock: 0, title: 'Two Copies' });
    const readers = await Promise.all(Array.from({ length: 5 }, () => createUser(t)));
    const ids: number[] = [];
    for (const r of readers) ids.push(await preBook(r, book.id));
    const holdUntil = new Date(Date.now() + 3_600_000);

    const result = await t.deps.db.transaction(async (tx) => {
      await lockBookForStockChange(tx, book.id);
      return notifyWaiting(tx, {
        bookId: book.id,
        stockChangeId: null,
        at: new Date(),
        storeUrl: t.deps.config.STORE_URL,
        limit: 2,
        holdUntil,
      });
    });
    expect(result.notified).toBe(2);
    expect((await statuses(book.id)).map((r) => [r.id, r.status, r.wave_id])).toEqual([
      [ids[0], 'notified', result.waveId],
      [ids[1], 'notified', result.waveId],
      [ids[2], 'waiting', null],
      [ids[3], 'waiting', null],
      [ids[4], 'waiting', null],
    ]);
    const wave = await t.deps.db.execute<{ notified_count: number; hold_until: Date; book_title: string }>(
      sql`SELECT notified_count, hold_until, book_title FROM restock_waves WHERE id = ${result.waveId}`,
    );
    expect(wave.rows[0]).toMatchObject({ notified_count: 2, book_title: 'Two Copies' });
    expect(new Date(wave.rows[0]!.hold_until).getTime()).toBe(holdUntil.getTime());
    const jobs = await t.deps.db.execute<{ key: string }>(
      sql`SELECT key FROM graphile_worker.jobs WHERE task_identifier = 'restock-fanout' AND key = ${`restock-fanout:${result.waveId}`}`,
    );
    expect(jobs.rows).toHaveLength(1);

    await runJobs();
    const causes = await t.deps.db.execute<{ cause: string }>(
      sql`SELECT cause FROM email_deliveries WHERE cause LIKE ${`restock:%:${result.waveId}`} ORDER BY cause`,
    );
    expect(causes.rows.map((r) => r.cause)).toEqual(
      [`restock:${ids[0]}:${result.waveId}`, `restock:${ids[1]}:${result.waveId}`].sort(),
    );
    expect((await listNotifications(readers[0]!)).items).toHaveLength(1);
    expect((await listNotifications(readers[2]!)).items).toHaveLength(0);
  });

  it('writes nothing when nobody waits', async () => {
    const book = await createBook(t, { stock: 0 });
    const result = await t.deps.db.transaction(async (tx) => {
      await lockBookForStockChange(tx, book.id);
      return notifyWaiting(tx, { bookId: book.id, stockChangeId: null, at: new Date(), storeUrl: 'x' });
    });
    expect(result).toEqual({ waveId: null, notified: 0 });
    const waves = await t.deps.db.execute(sql`SELECT 1 FROM restock_waves WHERE book_id = ${book.id}`);
    expect(waves.rows).toEqual([]);
  });

  it('keeps the alert of an earlier wave when a re-queued reader is notified by a later one', async () => {
    const reader = await createUser(t);
    const book = await createBook(t, { stock: 0, title: 'Again And Again' });
    const id = await preBook(reader, book.id);
    expect((await setStock(book.id, 1)).statusCode).toBe(200);
    await runJobs();
    // Back in the queue (as a re-queue does), out of stock, restocked: a second wave for the same pre-booking.
    await t.deps.db.execute(sql`UPDATE pre_bookings SET status = 'waiting' WHERE id = ${id}`);
    expect((await setStock(book.id, 0)).statusCode).toBe(200);
    expect((await setStock(book.id, 2)).statusCode).toBe(200);

    const waves = await t.deps.db.execute<{ id: number }>(
      sql`SELECT id FROM restock_waves WHERE book_id = ${book.id} ORDER BY id`,
    );
    expect(waves.rows).toHaveLength(2);
    const list = await listNotifications(reader);
    expect(list.items.map((n) => n.pre_booking_id)).toEqual([id, id]);
    expect(list.unread_count).toBe(2);
    expect(list.items[0]!.id).toBeGreaterThan(list.items[1]!.id);

    await runJobs();
    const causes = await t.deps.db.execute<{ cause: string }>(
      sql`SELECT cause FROM email_deliveries WHERE cause LIKE ${`restock:${id}:%`} ORDER BY cause`,
    );
    // One e-mail per pre-booking and wave.
    expect(causes.rows.map((r) => r.cause)).toEqual(waves.rows.map((w) => `restock:${id}:${w.id}`).sort());
  });

  it('shows the book as announced, even when it is renamed before the reader first looks', async () => {
    const reader = await createUser(t);
    const book = await createBook(t, { stock: 0, title: 'Working Title' });
    await preBook(reader, book.id);
    expect((await setStock(book.id, 3)).statusCode).toBe(200);
    await t.deps.db.execute(sql`UPDATE books SET title = 'Final Title' WHERE id = ${book.id}`);
    const list = await listNotifications(reader);
    expect(list.items.map((n) => n.title)).toEqual(["'Working Title' is back in stock"]);
    // Stored once: reading again gives the same id.
    expect((await listNotifications(reader)).items[0]!.id).toBe(list.items[0]!.id);
  });

  it('still delivers a per-reader restock job enqueued before waves existed, once', async () => {
    const reader = await createUser(t);
    const book = await createBook(t, { stock: 0, title: 'Old Queue' });
    const id = await preBook(reader, book.id);
    await t.deps.db.execute(
      sql`UPDATE pre_bookings SET status = 'notified', notified_at = now() WHERE id = ${id}`,
    );
    for (let i = 0; i < 2; i += 1) {
      await addJob(t.deps.db, 'restock-email', { pre_booking_id: id }, { jobKey: `restock:${id}` });
      await runJobs();
    }
    const rows = await t.deps.db.execute<{ recipient: string; subject: string }>(
      sql`SELECT recipient, subject FROM email_deliveries WHERE cause = ${`restock:${id}`}`,
    );
    expect(rows.rows).toEqual([{ recipient: reader.email, subject: "'Old Queue' is back in stock" }]);
  });
});

describe('the fan-out of a large wave', () => {
  it('is not cut short by the per-statement limit of ordinary work', async () => {
    const slow = await startTestApp({ env: { DB_STATEMENT_TIMEOUT_MS: '100' } });
    try {
      const boss = await createAdmin(slow);
      const reader = await createUser(slow);
      const book = await createBook(slow, { stock: 0 });
      await postPreBooking(slow.app, reader, book.id);
      // Every write to a wave takes longer than the ordinary limit, as a wave of many readers does.
      await slow.deps.db.execute(sql`
        CREATE FUNCTION slow_wave() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$`);
      await slow.deps.db.execute(
        sql`CREATE TRIGGER slow_wave BEFORE UPDATE ON restock_waves FOR EACH ROW EXECUTE FUNCTION slow_wave()`,
      );
      const res = await patchStock(slow.app, boss, book.id, 1);
      expect(res.statusCode).toBe(200);
      await runOnce({ pgPool: slow.deps.pool, taskList: taskList(slow.deps), noHandleSignals: true });
      const rows = await slow.deps.db.execute<{ fanned: boolean; failed: number }>(sql`
        SELECT (SELECT fanned_out_at IS NOT NULL FROM restock_waves WHERE book_id = ${book.id}) AS fanned,
               (SELECT count(*)::int FROM graphile_worker.jobs WHERE last_error IS NOT NULL) AS failed`);
      expect(rows.rows[0]).toEqual({ fanned: true, failed: 0 });
      const sent = await slow.deps.db.execute(
        sql`SELECT 1 FROM email_deliveries WHERE cause LIKE 'restock:%'`,
      );
      expect(sent.rows).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });
});
