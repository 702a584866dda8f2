import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  createBook,
  createBooks,
  createUser,
  insertOrder,
  type TestUser,
  useAdmin,
  useTestApp,
} from '../../../test/helpers.js';
import { patchStock, postPreBooking } from '../../../test/requests.js';
import { recordPreBookingConversions } from './prebooks.repository.js';

const t = useTestApp();
const admin = useAdmin(t);

const preBook = (user: TestUser, bookId: number | string) => postPreBooking(t.app, user, bookId);

const myPreBookings = async (user: TestUser) => {
  const res = await t.app.inject({ method: 'GET', url: '/prebooks', headers: user.auth });
  expect(res.statusCode).toBe(200);
  return res.json().items as { id: number; book_id: number; status: string; queue_position: number | null }[];
};

const restock = (bookId: number, quantity: number) => patchStock(t.app, admin, bookId, quantity);

/** A confirmed order of `userId` with no lines: the tests of recordPreBookingConversions hand it the books. */
const emptyOrder = async (userId: number): Promise<number> =>
  (await insertOrder(t, { userId, items: [] })).id;

describe('POST /prebooks', () => {
  it('puts the reader in the queue of an out-of-stock book and answers with the full pre-booking', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 0, title: 'Dune', author: 'Frank Herbert' });
    const res = await preBook(user, book.id);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.any(Number),
      book_id: book.id,
      book_title: 'Dune',
      book_author: 'Frank Herbert',
      status: 'waiting',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/),
      notified_at: null,
      cancelled_at: null,
      queue_position: 1,
      stock_change_id: null,
      converted_order_id: null,
      converted_at: null,
      hold_expires_at: null,
      hold_expired_at: null,
    });
  });

  it('accepts the book id as a numeric string', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 0 });
    expect((await preBook(user, String(book.id))).statusCode).toBe(201);
  });

  it('answers 404 BOOK_NOT_FOUND for an unknown book and 409 PREBOOK_BOOK_IN_STOCK for a book in stock', async () => {
    const user = await createUser(t);
    const missing = await preBook(user, 987654);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'Book not found', code: 'BOOK_NOT_FOUND', field: 'book_id' });

    const book = await createBook(t, { stock: 3 });
    const inStock = await preBook(user, book.id);
    expect(inStock.statusCode).toBe(409);
    expect(inStock.json()).toEqual({
      detail: 'Book is in stock — add to cart instead',
      code: 'PREBOOK_BOOK_IN_STOCK',
      field: 'book_id',
    });
  });

  it('validates the body after authentication', async () => {
    const user = await createUser(t);
    const unauthenticated = await t.app.inject({
      method: 'POST',
      url: '/prebooks',
      payload: { book_id: 'x' },
    });
    expect(unauthenticated.statusCode).toBe(401);
    const missing = await t.app.inject({ method: 'POST', url: '/prebooks', headers: user.auth, payload: {} });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().detail[0]).toMatchObject({ type: 'missing', loc: ['body', 'book_id'] });
    const bad = await preBook(user, 'abc');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail[0]).toMatchObject({ type: 'int_parsing', loc: ['body', 'book_id'] });
  });

  it('refuses a deactivated account with 403', async () => {
    const user = await createUser(t, { isActive: false });
    const book = await createBook(t, { stock: 0 });
    const res = await preBook(user, book.id);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_ACCOUNT_DEACTIVATED');
  });

  it('answers 409 PREBOOK_DUPLICATE for a second waiting pre-booking, and allows a new one after a cancel', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 0 });
    const first = await preBook(user, book.id);
    expect(first.statusCode).toBe(201);
    const second = await preBook(user, book.id);
    expect(second.statusCode).toBe(409);
    expect(second.json()).toEqual({
      detail: 'You already have an active pre-booking for this book',
      code: 'PREBOOK_DUPLICATE',
      field: 'book_id',
    });
    const cancel = await t.app.inject({
      method: 'DELETE',
      url: `/prebooks/${first.json().id}`,
      headers: user.auth,
    });
    expect(cancel.statusCode).toBe(204);
    const again = await preBook(user, book.id);
    expect(again.statusCode).toBe(201);
    expect(again.json().id).not.toBe(first.json().id);
  });

  it('gives exactly one 201 for 20 truly concurrent pre-bookings by one user, the rest 409, one waiting row', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 0 });
    const responses = await Promise.all(Array.from({ length: 20 }, () => preBook(user, book.id)));
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const r of responses.filter((x) => x.statusCode === 409))
      expect(r.json().code).toBe('PREBOOK_DUPLICATE');
    const rows = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM pre_bookings WHERE user_id = ${user.id} AND book_id = ${book.id} AND status = 'waiting'`,
    );
    expect(rows.rows[0]!.n).toBe(1);
  });
});

describe('GET /prebooks and queue positions', () => {
  it('numbers the waiting readers of a book first come first served, and moves them up when one cancels', async () => {
    const book = await createBook(t, { stock: 0 });
    const readers = [await createUser(t), await createUser(t), await createUser(t)];
    const ids: number[] = [];
    for (const [i, reader] of readers.entries()) {
      const res = await preBook(reader, book.id);
      expect(res.json().queue_position).toBe(i + 1);
      ids.push(res.json().id);
    }
    await t.app.inject({ method: 'DELETE', url: `/prebooks/${ids[0]}`, headers: readers[0]!.auth });
    expect((await myPreBookings(readers[0]!))[0]).toMatchObject({
      status: 'cancelled',
      queue_position: null,
    });
    expect((await myPreBookings(readers[1]!))[0]).toMatchObject({ status: 'waiting', queue_position: 1 });
    expect((await myPreBookings(readers[2]!))[0]).toMatchObject({ status: 'waiting', queue_position: 2 });
  });

  it('lists every status of the caller only, newest first, with null positions once notified', async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    const older = await createBook(t, { stock: 0 });
    const newer = await createBook(t, { stock: 0 });
    await preBook(other, older.id);
    const a = (await preBook(user, older.id)).json();
    const b = (await preBook(user, newer.id)).json();
    expect((await restock(older.id, 4)).statusCode).toBe(200);

    const items = await myPreBookings(user);
    expect(items.map((i) => i.id)).toEqual([b.id, a.id]);
    expect(items[0]).toMatchObject({ status: 'waiting', queue_position: 1 });
    expect(items[1]).toMatchObject({
      status: 'notified',
      queue_position: null,
      notified_at: expect.any(String),
      stock_change_id: expect.any(Number),
    });
  });

  it('answers 401 without a token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/prebooks' })).statusCode).toBe(401);
  });
});

describe('DELETE /prebooks/{prebook_id}', () => {
  it('soft-cancels with cancelled_at, answers 409 the second time and 404 for another reader', async () => {
    const user = await createUser(t);
    const stranger = await createUser(t);
    const book = await createBook(t, { stock: 0 });
    const id = (await preBook(user, book.id)).json().id;

    const foreign = await t.app.inject({ method: 'DELETE', url: `/prebooks/${id}`, headers: stranger.auth });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({ detail: 'Pre-booking not found', code: 'PREBOOK_NOT_FOUND' });

    const first = await t.app.inject({ method: 'DELETE', url: `/prebooks/${id}`, headers: user.auth });
    expect(first.statusCode).toBe(204);
    expect(first.body).toBe('');
    const [row] = await myPreBookings(user);
    expect(row).toMatchObject({ id, status: 'cancelled', cancelled_at: expect.any(String) });

    const second = await t.app.inject({ method: 'DELETE', url: `/prebooks/${id}`, headers: user.auth });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toEqual({
      detail: 'Pre-booking is already cancelled',
      code: 'PREBOOK_ALREADY_CANCELLED',
    });

    const unknown = await t.app.inject({ method: 'DELETE', url: '/prebooks/99999999', headers: user.auth });
    expect(unknown.statusCode).toBe(404);
    const bad = await t.app.inject({ method: 'DELETE', url: '/prebooks/abc', headers: user.auth });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail[0].loc).toEqual(['path', 'prebook_id']);
  });

  it('can cancel a notified pre-booking', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 0 });
    const id = (await preBook(user, book.id)).json().id;
    await restock(book.id, 1);
    const res = await t.app.inject({ method: 'DELETE', url: `/prebooks/${id}`, headers: user.auth });
    expect(res.statusCode).toBe(204);
    expect((await myPreBookings(user))[0]).toMatchObject({
      status: 'cancelled',
      notified_at: expect.any(String),
    });
  });
});

describe('conversion', () => {
  it("records the order on the caller's notified, unconverted pre-bookings of the ordered books only", async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    const bought = await createBook(t, { stock: 0 });
    const stillWaiting = await createBook(t, { stock: 0 });
    const notBought = await createBook(t, { stock: 0 });
    const mine = (await preBook(user, bought.id)).json().id;
    const theirs = (await preBook(other, bought.id)).json().id;
    const waiting = (await preBook(user, stillWaiting.id)).json().id;
    const elsewhere = (await preBook(user, notBought.id)).json().id;
    await restock(bought.id, 5);
    await restock(notBought.id, 5);

    const orderId = await emptyOrder(user.id);
    const at = new Date('2026-02-03T04:05:06.789Z');
    const converted = await t.deps.db.transaction((tx) =>
      recordPreBookingConversions(tx, {
        userId: user.id,
        orderId,
        bookIds: [bought.id, stillWaiting.id],
        at,
      }),
    );
    expect(converted).toEqual([mine]);

    const items = await myPreBookings(user);
    const byId = new Map(items.map((i) => [i.id, i]));
    expect(byId.get(mine)).toMatchObject({
      converted_order_id: orderId,
      converted_at: '2026-02-03T04:05:06.789000Z',
    });
    expect(byId.get(waiting)).toMatchObject({ status: 'waiting', converted_order_id: null });
    expect(byId.get(elsewhere)).toMatchObject({ status: 'notified', converted_order_id: null });
    expect((await myPreBookings(other)).find((i) => i.id === theirs)).toMatchObject({
      converted_order_id: null,
    });

    const secondOrder = await emptyOrder(user.id);
    const again = await t.deps.db.transaction((tx) =>
      recordPreBookingConversions(tx, { userId: user.id, orderId: secondOrder, bookIds: [bought.id], at }),
    );
    expect(again).toEqual([]);
  });
});

describe('admin views', () => {
  it('are for administrators only (401 without a token, 403 for a reader)', async () => {
    const user = await createUser(t);
    for (const url of ['/admin/prebooks', '/admin/analytics/prebooks/demand']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401);
      const forbidden = await t.app.inject({ method: 'GET', url, headers: user.auth });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json().code).toBe('AUTH_FORBIDDEN');
    }
  });

  it("number every row of a later page by its place in its own book's queue, skipping cancelled ones", async () => {
    const [first, second] = [await createBook(t, { stock: 0 }), await createBook(t, { stock: 0 })];
    const readers = await Promise.all(Array.from({ length: 5 }, () => createUser(t)));
    const ids = new Map<string, number>();
    // Interleaved: first#0 second#0 first#1 second#1 … so a page mixes both queues.
    for (const [i, r] of readers.entries()) {
      ids.set(`f${i}`, (await preBook(r, first.id)).json().id);
      ids.set(`s${i}`, (await preBook(r, second.id)).json().id);
    }
    await t.app.inject({ method: 'DELETE', url: `/prebooks/${ids.get('f1')}`, headers: readers[1]!.auth });
    await t.app.inject({ method: 'DELETE', url: `/prebooks/${ids.get('s3')}`, headers: readers[3]!.auth });

    const positions = async (url: string): Promise<[number, number | null][]> =>
      (await t.app.inject({ method: 'GET', url, headers: admin.auth }))
        .json<{ items: { id: number; queue_position: number | null }[] }>()
        .items.map((i) => [i.id, i.queue_position]);
    const expected = (keys: [string, number | null][]) => keys.map(([k, p]) => [ids.get(k), p]);

    expect(await positions(`/admin/prebooks?book_id=${first.id}&per_page=2&page=2`)).toEqual(
      expected([
        ['f2', 2],
        ['f3', 3],
      ]),
    );
    expect(await positions(`/admin/prebooks?book_id=${first.id}&status=waiting&per_page=3&page=2`)).toEqual(
      expected([['f4', 4]]),
    );
    // Every book's rows, in pages of 3 (each page anchors its own positions).
    const everything: [number, number | null][] = [];
    for (let page = 1; ; page++) {
      const items = await positions(`/admin/prebooks?per_page=3&page=${page}`);
      if (items.length === 0) break;
      everything.push(...items);
    }
    const both = everything.filter(([id]) => [...ids.values()].includes(id));
    expect(both).toEqual(
      expected([
        ['f0', 1],
        ['s0', 1],
        ['f1', null],
        ['s1', 2],
        ['f2', 2],
        ['s2', 3],
        ['f3', 3],
        ['s3', null],
        ['f4', 4],
        ['s4', 4],
      ]),
    );
    expect((await myPreBookings(readers[4]!)).map((i) => [i.id, i.queue_position])).toEqual(
      expected([
        ['s4', 4],
        ['f4', 4],
      ]),
    );
  });

  it('list the waitlist of a book in queue order, filtered by status, in the admin envelope', async () => {
    const book = await createBook(t, { stock: 0 });
    const readers = [await createUser(t), await createUser(t), await createUser(t)];
    const ids: number[] = [];
    for (const r of readers) ids.push((await preBook(r, book.id)).json().id);
    await t.app.inject({ method: 'DELETE', url: `/prebooks/${ids[1]}`, headers: readers[1]!.auth });

    const all = await t.app.inject({
      method: 'GET',
      url: `/admin/prebooks?book_id=${book.id}&per_page=2`,
      headers: admin.auth,
    });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({ total_count: 3, page: 1, per_page: 2, total_pages: 2 });
    expect(all.json().items.map((i: { id: number }) => i.id)).toEqual([ids[0], ids[1]]);
    expect(all.json().items[0]).toMatchObject({ user_id: readers[0]!.id, user_email: readers[0]!.email });

    const waiting = await t.app.inject({
      method: 'GET',
      url: `/admin/prebooks?book_id=${book.id}&status=waiting`,
      headers: admin.auth,
    });
    expect(
      waiting.json().items.map((i: { id: number; queue_position: number }) => [i.id, i.queue_position]),
    ).toEqual([
      [ids[0], 1],
      [ids[2], 2],
    ]);

    const invalid = await t.app.inject({
      method: 'GET',
      url: '/admin/prebooks?status=lost',
      headers: admin.auth,
    });
    expect(invalid.statusCode).toBe(422);
  });

  it('rank books by waiting readers with stock, oldest wait, notified and converted counts', async () => {
    const popular = await createBook(t, { stock: 0, title: 'Popular' });
    const restocked = await createBook(t, { stock: 0, title: 'Restocked' });
    const readers = [await createUser(t), await createUser(t), await createUser(t)];
    for (const r of readers) await preBook(r, popular.id);
    for (const r of readers.slice(0, 2)) await preBook(r, restocked.id);
    await restock(restocked.id, 9);
    const orderId = await emptyOrder(readers[0]!.id);
    await t.deps.db.transaction((tx) =>
      recordPreBookingConversions(tx, {
        userId: readers[0]!.id,
        orderId,
        bookIds: [restocked.id],
        at: new Date(),
      }),
    );

    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/analytics/prebooks/demand?per_page=100',
      headers: admin.auth,
    });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { book_id: number; waiting_count: number }[];
    const popularRow = items.find((i) => i.book_id === popular.id);
    const restockedRow = items.find((i) => i.book_id === restocked.id);
    expect(popularRow).toMatchObject({
      title: 'Popular',
      stock_quantity: 0,
      waiting_count: 3,
      oldest_waiting_since: expect.any(String),
      notified_count: 0,
      converted_count: 0,
      conversion_rate: null,
    });
    expect(restockedRow).toMatchObject({
      stock_quantity: 9,
      waiting_count: 0,
      oldest_waiting_since: null,
      notified_count: 2,
      converted_count: 1,
      conversion_rate: 0.5,
    });
    const counts = items.map((i) => i.waiting_count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(items.indexOf(popularRow!)).toBeLessThan(items.indexOf(restockedRow!));
  });
});

describe('pre-booking cap', () => {
  it('lets a reader wait for at most 100 books: concurrent pre-bookings at 97 give exactly 3 more', async () => {
    const user = await createUser(t);
    const bookIds = await createBooks(t, 108, { stock: 0 });
    await t.deps.db.execute(sql`
      INSERT INTO pre_bookings (user_id, book_id, status)
      SELECT ${user.id}, b, 'waiting' FROM unnest(${sql.param(bookIds.slice(0, 97))}::int[]) AS b`);
    const results = await Promise.all(bookIds.slice(97, 107).map((id) => preBook(user, id)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([
      201, 201, 201, 409, 409, 409, 409, 409, 409, 409,
    ]);
    for (const r of results.filter((x) => x.statusCode === 409)) {
      expect(r.json()).toEqual({
        detail: 'A reader waits for at most 100 books; cancel a pre-booking first',
        code: 'PREBOOK_LIMIT_REACHED',
      });
    }
    expect((await myPreBookings(user)).filter((p) => p.status === 'waiting')).toHaveLength(100);
    // Only waiting pre-bookings count: a cancelled one makes room again.
    const cancel = await t.app.inject({
      method: 'DELETE',
      url: `/prebooks/${(await myPreBookings(user))[0]!.id}`,
      headers: user.auth,
    });
    expect(cancel.statusCode).toBe(204);
    expect((await preBook(user, bookIds[107]!)).statusCode).toBe(201);
    expect((await preBook(user, bookIds[0]!)).json()).toMatchObject({ code: 'PREBOOK_LIMIT_REACHED' });
  });
});
