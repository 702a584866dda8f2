import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { taskList } from '../../jobs/tasks.js';
import { materializeForUser } from '../notifications/notifications.repository.js';
import {
  createBook,
  createUser,
  deliveredRestockCauses,
  type TestUser,
  useAdmin,
  useTestApp,
} from '../../../test/helpers.js';
import { patchStock, postPreBooking } from '../../../test/requests.js';

const t = useTestApp();
const admin = useAdmin(t);

const setStock = (bookId: number, quantity: unknown, user: TestUser = admin) =>
  patchStock(t.app, user, bookId, quantity);

const preBook = (user: TestUser, bookId: number) => postPreBooking(t.app, user, bookId);

/** A waiting pre-booking inserted directly: only possible for a book in stock by bypassing the API. */
async function insertWaiting(userId: number, bookId: number): Promise<number> {
  const r = await t.deps.db.execute<{ id: number }>(
    sql`INSERT INTO pre_bookings (user_id, book_id, status) VALUES (${userId}, ${bookId}, 'waiting') RETURNING id`,
  );
  return r.rows[0]!.id;
}

async function preBookingRows(bookId: number) {
  const r = await t.deps.db.execute<{
    id: number;
    user_id: number;
    status: string;
    notified_at: string | null;
    stock_change_id: number | null;
  }>(
    sql`SELECT id, user_id, status, notified_at, stock_change_id FROM pre_bookings WHERE book_id = ${bookId} ORDER BY id`,
  );
  return r.rows;
}

/** The jobs a restock of the book left for after commit: one fan-out job per wave, keyed by the wave. */
async function jobKeysFor(bookId: number): Promise<string[]> {
  const r = await t.deps.db.execute<{ key: string }>(sql`
    SELECT j.key FROM graphile_worker.jobs j
    WHERE j.task_identifier = 'restock-fanout'
      AND j.key IN (SELECT 'restock-fanout:' || id FROM restock_waves WHERE book_id = ${bookId})
    ORDER BY j.key`);
  return r.rows.map((row) => row.key);
}

async function wavesFor(bookId: number) {
  const r = await t.deps.db.execute<{ id: number; stock_change_id: number; notified_count: number }>(
    sql`SELECT id, stock_change_id, notified_count FROM restock_waves WHERE book_id = ${bookId} ORDER BY id`,
  );
  return r.rows;
}

/** Runs every queued job to completion (MAIL_SUPPRESS_SEND: messages are rendered and recorded, not sent). */
async function runJobs() {
  await runOnce({ pgPool: t.deps.pool, taskList: taskList(t.deps), noHandleSignals: true });
}

const deliveredCausesFor = (bookId: number) => deliveredRestockCauses(t, bookId);

/** The in-app notifications of the book's readers, as each of them will read them. */
async function notificationsFor(bookId: number) {
  const readers = await t.deps.db.execute<{ user_id: number }>(
    sql`SELECT DISTINCT user_id FROM pre_bookings WHERE book_id = ${bookId}`,
  );
  for (const { user_id } of readers.rows) {
    await materializeForUser(t.deps.db, { userId: user_id, storeUrl: t.deps.config.STORE_URL });
  }
  const r = await t.deps.db.execute<{ user_id: number; pre_booking_id: number; title: string; type: string }>(
    sql`SELECT user_id, pre_booking_id, title, type FROM notifications WHERE book_id = ${bookId} ORDER BY pre_booking_id`,
  );
  return r.rows;
}

describe('PATCH /books/{book_id}/stock', () => {
  it('sets the absolute stock and answers with the BookResponse', async () => {
    const book = await createBook(t, { stock: 2, title: 'Stocked', price: '12.50' });
    const res = await setStock(book.id, '7');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: book.id,
      title: 'Stocked',
      price: '12.50',
      stock_quantity: 7,
    });
    expect(Object.keys(res.json()).sort()).toEqual(
      [
        'id',
        'title',
        'author',
        'price',
        'isbn',
        'genre_id',
        'description',
        'cover_image_url',
        'publish_date',
        'stock_quantity',
      ].sort(),
    );
  });

  it('answers 404 BOOK_NOT_FOUND, and 422 for a negative, fractional, missing or too large quantity', async () => {
    const missing = await setStock(999999, 3);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'Book not found', code: 'BOOK_NOT_FOUND', field: 'book_id' });

    const book = await createBook(t, { stock: 1 });
    for (const quantity of [-1, 1.5, 'many', undefined, 2147483648]) {
      const res = await setStock(book.id, quantity);
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('VALIDATION_ERROR');
      expect(res.json().detail[0].loc).toEqual(['body', 'quantity']);
    }
    expect((await setStock(book.id, 2147483647)).statusCode).toBe(200);
    const bad = await t.app.inject({
      method: 'PATCH',
      url: '/books/abc/stock',
      headers: admin.auth,
      payload: { quantity: 1 },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail[0].loc).toEqual(['path', 'book_id']);
  });

  it('is for administrators only, checked before the body', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 0 });
    const anonymous = await t.app.inject({
      method: 'PATCH',
      url: `/books/${book.id}/stock`,
      payload: { quantity: -5 },
    });
    expect(anonymous.statusCode).toBe(401);
    const reader = await setStock(book.id, -5, user);
    expect(reader.statusCode).toBe(403);
    expect(reader.json().code).toBe('AUTH_FORBIDDEN');
  });

  it('on 0 → positive notifies every waiting pre-booking in the same transaction: status, wave, fan-out job', async () => {
    const book = await createBook(t, { stock: 0, title: 'Back Again' });
    const active = [await createUser(t), await createUser(t)];
    const deactivated = await createUser(t);
    const cancelledReader = await createUser(t);
    const ids = [];
    for (const reader of [...active, deactivated, cancelledReader])
      ids.push((await preBook(reader, book.id)).json().id);
    await t.app.inject({ method: 'DELETE', url: `/prebooks/${ids[3]}`, headers: cancelledReader.auth });
    await t.deps.db.execute(sql`UPDATE users SET is_active = false WHERE id = ${deactivated.id}`);

    const res = await setStock(book.id, 5);
    expect(res.statusCode).toBe(200);

    const rows = await preBookingRows(book.id);
    const [change] = (
      await t.deps.db.execute<{
        id: number;
        notified_count: number;
        old_quantity: number;
        new_quantity: number;
      }>(
        sql`SELECT id, notified_count, old_quantity, new_quantity FROM stock_changes WHERE book_id = ${book.id}`,
      )
    ).rows;
    expect(change).toMatchObject({ notified_count: 3, old_quantity: 0, new_quantity: 5 });
    expect(rows.map((r) => r.status)).toEqual(['notified', 'notified', 'notified', 'cancelled']);
    for (const r of rows.slice(0, 3)) {
      expect(r.stock_change_id).toBe(change!.id);
      expect(r.notified_at).not.toBeNull();
    }
    expect(rows[3]!.stock_change_id).toBeNull();

    const [wave] = await wavesFor(book.id);
    expect(wave).toMatchObject({ stock_change_id: change!.id, notified_count: 3 });
    const waves = await t.deps.db.execute<{ wave_id: number | null }>(
      sql`SELECT wave_id FROM pre_bookings WHERE book_id = ${book.id} ORDER BY id`,
    );
    expect(waves.rows.map((r) => r.wave_id)).toEqual([wave!.id, wave!.id, wave!.id, null]);
    // One job per wave, whatever the number of readers.
    expect(await jobKeysFor(book.id)).toEqual([`restock-fanout:${wave!.id}`]);

    const notes = await notificationsFor(book.id);
    expect(notes.map((n) => n.pre_booking_id)).toEqual(ids.slice(0, 3));
    expect(notes[0]).toMatchObject({ type: 'restock', title: "'Back Again' is back in stock" });

    // The deactivated account is flipped and told in the app, but gets no e-mail.
    await runJobs();
    expect(await deliveredCausesFor(book.id)).toEqual(
      [`restock:${ids[0]}:${wave!.id}`, `restock:${ids[1]}:${wave!.id}`].sort(),
    );
  });

  it.each([
    ['0 → 0', 0, 0],
    ['positive → positive', 3, 8],
    ['positive → 0', 3, 0],
  ])('notifies nobody on %s', async (_name, from, to) => {
    const book = await createBook(t, { stock: from });
    const reader = await createUser(t);
    const id = await insertWaiting(reader.id, book.id);
    expect((await setStock(book.id, to)).statusCode).toBe(200);
    const [row] = await preBookingRows(book.id);
    expect(row).toMatchObject({ id, status: 'waiting', notified_at: null, stock_change_id: null });
    expect(await wavesFor(book.id)).toEqual([]);
    expect(await notificationsFor(book.id)).toEqual([]);
    expect(await jobKeysFor(book.id)).toEqual([]);
  });

  it('serialises two concurrent restocks 0 → 5: each waiting pre-booking is notified once, with one job', async () => {
    const book = await createBook(t, { stock: 0 });
    const readers = await Promise.all(Array.from({ length: 5 }, () => createUser(t)));
    for (const r of readers) await preBook(r, book.id);
    const [a, b] = await Promise.all([setStock(book.id, 5), setStock(book.id, 5)]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const changes = (
      await t.deps.db.execute<{ notified_count: number; old_quantity: number }>(
        sql`SELECT notified_count, old_quantity FROM stock_changes WHERE book_id = ${book.id} ORDER BY id`,
      )
    ).rows;
    expect(changes).toEqual([
      { notified_count: 5, old_quantity: 0 },
      { notified_count: 0, old_quantity: 5 },
    ]);
    expect((await notificationsFor(book.id)).length).toBe(5);
    const waves = await wavesFor(book.id);
    expect(waves.map((w) => w.notified_count)).toEqual([5]);
    expect(await jobKeysFor(book.id)).toEqual([`restock-fanout:${waves[0]!.id}`]);
    await runJobs();
    expect((await deliveredCausesFor(book.id)).length).toBe(5);
  });

  it('never leaves a pre-booking waiting while the book is in stock when pre-bookings race a restock', async () => {
    const book = await createBook(t, { stock: 0 });
    const readers = await Promise.all(Array.from({ length: 30 }, () => createUser(t)));
    for (const r of readers.slice(0, 5)) expect((await preBook(r, book.id)).statusCode).toBe(201);
    const racers = readers.slice(5);
    const results = await Promise.all([
      ...racers.slice(0, 12).map((r) => preBook(r, book.id)),
      setStock(book.id, 4),
      ...racers.slice(12).map((r) => preBook(r, book.id)),
    ]);
    const restocked = results.splice(12, 1)[0]!;
    expect(restocked.statusCode).toBe(200);
    for (const r of results) {
      expect([201, 409]).toContain(r.statusCode);
      if (r.statusCode === 409) expect(r.json().code).toBe('PREBOOK_BOOK_IN_STOCK');
    }
    const rows = await preBookingRows(book.id);
    expect(rows).toHaveLength(5 + results.filter((r) => r.statusCode === 201).length);
    expect(rows.filter((r) => r.status === 'waiting')).toEqual([]);
    const [wave] = await wavesFor(book.id);
    expect(await jobKeysFor(book.id)).toEqual([`restock-fanout:${wave!.id}`]);
    await runJobs();
    const notified = rows.filter((r) => r.status === 'notified').map((r) => `restock:${r.id}:${wave!.id}`);
    expect(await deliveredCausesFor(book.id)).toEqual(notified.sort());
  });

  it('a restock whose transaction fails changes nothing and enqueues nothing', async () => {
    const book = await createBook(t, { stock: 0 });
    const reader = await createUser(t);
    await preBook(reader, book.id);
    await t.deps.db.execute(sql`
      CREATE FUNCTION fail_notification() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'notification store unavailable'; END $$`);
    // Fails the transaction after the flip (the wave's count is written last).
    await t.deps.db.execute(
      sql`CREATE TRIGGER fail_notification BEFORE UPDATE ON restock_waves FOR EACH ROW EXECUTE FUNCTION fail_notification()`,
    );
    try {
      const res = await setStock(book.id, 5);
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ detail: 'Internal server error', code: 'INTERNAL_ERROR' });
    } finally {
      await t.deps.db.execute(sql`DROP TRIGGER fail_notification ON restock_waves`);
      await t.deps.db.execute(sql`DROP FUNCTION fail_notification()`);
    }
    const stock = await t.deps.db.execute<{ stock_quantity: number }>(
      sql`SELECT stock_quantity FROM books WHERE id = ${book.id}`,
    );
    expect(stock.rows[0]!.stock_quantity).toBe(0);
    expect((await preBookingRows(book.id)).map((r) => r.status)).toEqual(['waiting']);
    expect(await wavesFor(book.id)).toEqual([]);
    expect(await notificationsFor(book.id)).toEqual([]);
    expect(await jobKeysFor(book.id)).toEqual([]);
    const history = await t.app.inject({
      method: 'GET',
      url: `/admin/books/${book.id}/stock-history`,
      headers: admin.auth,
    });
    expect(history.json().total_count).toBe(0);
  });
});

describe('GET /admin/books/{book_id}/stock-history', () => {
  it('lists who changed the stock, from what to what and whom it notified, newest first', async () => {
    const book = await createBook(t, { stock: 0 });
    const reader = await createUser(t);
    await preBook(reader, book.id);
    await setStock(book.id, 5);
    await setStock(book.id, 2);
    await setStock(book.id, 0);

    const res = await t.app.inject({
      method: 'GET',
      url: `/admin/books/${book.id}/stock-history?per_page=2`,
      headers: admin.auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total_count: 3, page: 1, per_page: 2, total_pages: 2 });
    expect(res.json().items).toEqual([
      {
        id: expect.any(Number),
        book_id: book.id,
        changed_by: admin.id,
        changed_by_email: admin.email,
        old_quantity: 2,
        new_quantity: 0,
        notified_count: 0,
        held_count: 0,
        policy: 'broadcast',
        created_at: expect.any(String),
      },
      expect.objectContaining({ old_quantity: 5, new_quantity: 2, notified_count: 0 }),
    ]);
    const page2 = await t.app.inject({
      method: 'GET',
      url: `/admin/books/${book.id}/stock-history?per_page=2&page=2`,
      headers: admin.auth,
    });
    expect(page2.json().items).toEqual([
      expect.objectContaining({ old_quantity: 0, new_quantity: 5, notified_count: 1 }),
    ]);
  });

  it('answers 404 for an unknown book and 401/403 to non-administrators', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/books/999999/stock-history',
      headers: admin.auth,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('BOOK_NOT_FOUND');
    const user = await createUser(t);
    expect((await t.app.inject({ method: 'GET', url: '/admin/books/1/stock-history' })).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/books/1/stock-history', headers: user.auth }))
        .statusCode,
    ).toBe(403);
  });
});

describe('GET /admin/books/{book_id}/restock-preview', () => {
  it('says whether a quantity would notify and how many, without changing anything', async () => {
    const book = await createBook(t, { stock: 0 });
    const readers = [await createUser(t), await createUser(t), await createUser(t)];
    for (const r of readers) await preBook(r, book.id);
    await t.deps.db.execute(sql`UPDATE users SET is_active = false WHERE id = ${readers[2]!.id}`);

    const preview = (quantity: number | string) =>
      t.app.inject({
        method: 'GET',
        url: `/admin/books/${book.id}/restock-preview?quantity=${quantity}`,
        headers: admin.auth,
      });
    const yes = await preview(10);
    expect(yes.statusCode).toBe(200);
    expect(yes.json()).toEqual({
      book_id: book.id,
      current_stock: 0,
      quantity: 10,
      is_restock: true,
      would_notify: true,
      waiting_count: 3,
      notify_count: 3,
      email_count: 2,
      policy: 'broadcast',
      held_count: 0,
      available_count: 10,
    });
    expect((await preview(0)).json()).toMatchObject({
      is_restock: false,
      would_notify: false,
      notify_count: 0,
    });
    expect((await preBookingRows(book.id)).every((r) => r.status === 'waiting')).toBe(true);
    expect(await notificationsFor(book.id)).toEqual([]);

    await setStock(book.id, 10);
    expect((await preview(20)).json()).toMatchObject({
      current_stock: 10,
      is_restock: false,
      would_notify: false,
      waiting_count: 0,
      notify_count: 0,
    });
  });

  it('validates the quantity and the book, after checking the caller is an administrator', async () => {
    const book = await createBook(t, { stock: 0 });
    const url = (q: string) => `/admin/books/${book.id}/restock-preview${q}`;
    expect((await t.app.inject({ method: 'GET', url: url('?quantity=-1') })).statusCode).toBe(401);
    const user = await createUser(t);
    expect(
      (await t.app.inject({ method: 'GET', url: url('?quantity=-1'), headers: user.auth })).statusCode,
    ).toBe(403);
    const negative = await t.app.inject({ method: 'GET', url: url('?quantity=-1'), headers: admin.auth });
    expect(negative.statusCode).toBe(422);
    expect(negative.json().detail[0].loc).toEqual(['query', 'quantity']);
    const missing = await t.app.inject({ method: 'GET', url: url(''), headers: admin.auth });
    expect(missing.statusCode).toBe(422);
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/admin/books/999999/restock-preview?quantity=3',
      headers: admin.auth,
    });
    expect(unknown.statusCode).toBe(404);
  });
});
