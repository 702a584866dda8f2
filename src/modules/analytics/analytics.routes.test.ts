import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBook, createUser, insertOrder, useAdmin, useTestApp, useUser } from '../../../test/helpers.js';

/** The app's clock; each test moves it to its own year so that the tests' orders never share a window. */
let now = new Date('2026-03-04T10:00:00Z');
const t = useTestApp({ deps: { clock: { now: () => now } } });
const admin = useAdmin(t);
const buyer = useUser(t);
let book: { id: number };

beforeAll(async () => {
  book = await createBook(t);
});

/** GET as the admin, with a token signed at the current (fixed) time. */
async function get(url: string) {
  const token = await t.deps.tokens.sign(admin.id, 'admin');
  const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  return res;
}

async function summary(period: string) {
  const res = await get(`/admin/analytics/sales/summary?period=${period}`);
  expect(res.statusCode).toBe(200);
  return res.json<Record<string, unknown>>();
}

/** An order line as `insertOrder` takes it. */
const line = (bookId: number, quantity: number, unitPrice: string) => ({ bookId, quantity, unitPrice });

/** A row of the top-books report about `book` (created with the title and author it lists). */
const topBook = (book: { id: number; title: string; author: string }, revenue: number, units: number) => ({
  book_id: book.id,
  title: book.title,
  author: book.author,
  total_revenue: revenue,
  units_sold: units,
});

/** One confirmed order of one line at the given instant. */
const order = (createdAt: string, unitPrice: string, quantity = 1, status?: 'payment_failed') =>
  insertOrder(t, {
    userId: buyer.id,
    createdAt,
    status,
    items: [{ bookId: book.id, quantity, unitPrice }],
  });

describe('GET /admin/analytics/sales/summary', () => {
  it('counts today from 00:00 UTC up to now and compares with the whole of yesterday', async () => {
    now = new Date('2026-03-04T10:00:00Z');
    await insertOrder(t, {
      userId: buyer.id,
      createdAt: '2026-03-04T00:00:00Z',
      items: [
        { bookId: book.id, quantity: 1, unitPrice: '4.00' },
        { bookId: book.id, quantity: 2, unitPrice: '3.00' },
      ],
    });
    await order('2026-03-04T09:59:59.999999Z', '0.05');
    await order('2026-03-04T10:00:00Z', '100.00'); // now itself: excluded
    await order('2026-03-04T05:00:00Z', '100.00', 1, 'payment_failed');
    await order('2026-03-03T23:59:59.999999Z', '20.00');
    await order('2026-03-03T00:00:00Z', '0.10');
    await order('2026-03-02T23:59:59.999999Z', '100.00'); // before yesterday: excluded

    // 10.05 over 2 orders = 5.025, rounded half-even to 5.02.
    expect(await summary('today')).toEqual({
      period: 'today',
      revenue: 10.05,
      order_count: 2,
      aov: 5.02,
      delta_percentage: -50,
    });
  });

  it('defaults to today', async () => {
    now = new Date('2026-03-04T10:00:00Z');
    const res = await get('/admin/analytics/sales/summary');
    expect(res.json()).toMatchObject({ period: 'today', revenue: 10.05 });
  });

  it('starts the week on Monday 00:00 UTC and compares with the whole previous week', async () => {
    now = new Date('2027-03-10T12:00:00Z'); // Wednesday; Monday is 2027-03-08
    await order('2027-03-08T00:00:00Z', '200.05');
    await order('2027-03-10T12:00:00Z', '999.00'); // now: excluded
    await order('2027-03-07T23:59:59.999999Z', '100.00');
    await order('2027-03-01T00:00:00Z', '100.00');
    await order('2027-02-28T23:59:59.999999Z', '999.00'); // before the previous Monday: excluded

    // 0.05 / 200.00 = 0.025 %, rounded half-even to 0.02.
    expect(await summary('week')).toEqual({
      period: 'week',
      revenue: 200.05,
      order_count: 1,
      aov: 200.05,
      delta_percentage: 0.02,
    });
    // Nothing today or yesterday: zeros, and no delta against a prior revenue of 0.
    expect(await summary('today')).toEqual({
      period: 'today',
      revenue: 0,
      order_count: 0,
      aov: 0,
      delta_percentage: null,
    });
  });

  it('has an empty current week at Monday 00:00 exactly, the whole last week being the prior one', async () => {
    now = new Date('2027-03-15T00:00:00Z');
    expect(await summary('week')).toEqual({
      period: 'week',
      revenue: 0,
      order_count: 0,
      aov: 0,
      delta_percentage: -100,
    });
  });

  it('starts the month on the 1st 00:00 UTC, the prior month reaching into the previous year', async () => {
    now = new Date('2028-01-15T08:00:00Z');
    await order('2028-01-01T00:00:00Z', '30.00');
    await insertOrder(t, {
      userId: buyer.id,
      createdAt: '2028-01-10T00:00:00Z',
      items: [
        { bookId: book.id, quantity: 1, unitPrice: '4.99' },
        { bookId: book.id, quantity: 1, unitPrice: '4.98' },
      ],
    });
    await order('2028-01-15T08:00:00Z', '999.00'); // now: excluded
    await order('2027-12-31T23:59:59.999999Z', '10.00');
    await order('2027-12-01T00:00:00Z', '10.00');
    await order('2027-11-30T23:59:59.999999Z', '999.00'); // before the prior month: excluded

    // 39.97 over 2 orders = 19.985, rounded half-even to 19.98; (39.97 − 20) / 20 = 99.85 %.
    expect(await summary('month')).toEqual({
      period: 'month',
      revenue: 39.97,
      order_count: 2,
      aov: 19.98,
      delta_percentage: 99.85,
    });
  });

  it('rejects an unknown period with 422 string_pattern_mismatch', async () => {
    const res = await get('/admin/analytics/sales/summary?period=year');
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toEqual({
      type: 'string_pattern_mismatch',
      loc: ['query', 'period'],
      msg: "String should match pattern '^(today|week|month)$'",
      input: 'year',
      ctx: { pattern: '^(today|week|month)$' },
    });
  });

  it('answers 401 and 403 before validating the query', async () => {
    now = new Date();
    const anon = await t.app.inject({ method: 'GET', url: '/admin/analytics/sales/summary?period=year' });
    expect(anon.statusCode).toBe(401);
    const user = await createUser(t);
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/analytics/sales/summary?period=year',
      headers: user.auth,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_FORBIDDEN');
  });
});

describe('GET /admin/analytics/sales/top-books within a period', () => {
  it('ranks the current window by revenue or units, ties by book id, without deleted books', async () => {
    now = new Date('2029-06-15T12:00:00Z');
    const x = await createBook(t, { title: 'X', author: 'Ax' });
    const y = await createBook(t, { title: 'Y', author: 'Ay' });
    const z = await createBook(t, { title: 'Z', author: 'Az' });
    const gone = await createBook(t, { title: 'Gone' });
    await insertOrder(t, {
      userId: buyer.id,
      createdAt: '2029-06-01T00:00:00Z',
      items: [line(x.id, 2, '10.00'), line(z.id, 4, '1.00')],
    });
    await insertOrder(t, {
      userId: buyer.id,
      createdAt: '2029-06-15T11:00:00Z',
      items: [line(y.id, 1, '20.00'), line(gone.id, 50, '50.00')],
    });
    await insertOrder(t, {
      userId: buyer.id,
      createdAt: '2029-06-10T00:00:00Z',
      status: 'payment_failed',
      items: [line(y.id, 100, '5.00')],
    });
    await insertOrder(t, {
      userId: buyer.id,
      createdAt: '2029-05-31T23:59:59.999999Z',
      items: [line(z.id, 100, '1.00')],
    });
    await t.deps.db.execute(sql`DELETE FROM books WHERE id = ${gone.id}`);

    const byRevenue = await get('/admin/analytics/sales/top-books?period=month');
    expect(byRevenue.statusCode).toBe(200);
    expect(byRevenue.json()).toEqual({
      sort_by: 'revenue',
      items: [topBook(x, 20, 2), topBook(y, 20, 1), topBook(z, 4, 4)],
    });
    const byVolume = await get('/admin/analytics/sales/top-books?period=month&sort_by=volume&limit=2');
    expect(byVolume.json()).toEqual({
      sort_by: 'volume',
      items: [topBook(z, 4, 4), topBook(x, 20, 2)],
    });
    const today = await get('/admin/analytics/sales/top-books?period=today');
    expect(today.json().items.map((i: { book_id: number }) => i.book_id)).toEqual([y.id]);
  });

  it('rejects a bad sort, limit or period with 422', async () => {
    for (const [q, type, loc] of [
      ['sort_by=price', 'string_pattern_mismatch', 'sort_by'],
      ['limit=0', 'greater_than_equal', 'limit'],
      ['limit=51', 'less_than_equal', 'limit'],
      ['period=year', 'string_pattern_mismatch', 'period'],
    ] as const) {
      const res = await get(`/admin/analytics/sales/top-books?${q}`);
      expect(res.statusCode).toBe(422);
      expect(res.json().detail[0]).toMatchObject({ type, loc: ['query', loc] });
    }
  });
});

describe('all-time top books and low stock (a database of their own)', () => {
  const own = useTestApp();
  const ownAdmin = useAdmin(own);

  const ownGet = (url: string) => own.app.inject({ method: 'GET', url, headers: ownAdmin.auth });

  it('sums every confirmed order of all time, rounding nothing away', async () => {
    const user = await createUser(own);
    const a = await createBook(own, { title: 'A', author: 'Aa' });
    const b = await createBook(own, { title: 'B', author: 'Bb' });
    await insertOrder(own, {
      userId: user.id,
      createdAt: '2001-01-01T00:00:00Z',
      items: [line(a.id, 3, '0.33')],
    });
    await insertOrder(own, {
      userId: user.id,
      createdAt: '2099-01-01T00:00:00Z',
      items: [line(a.id, 1, '0.02'), line(b.id, 1, '1.01')],
    });
    const res = await ownGet('/admin/analytics/sales/top-books');
    expect(res.json()).toEqual({
      sort_by: 'revenue',
      items: [topBook(a, 1.01, 4), topBook(b, 1.01, 1)],
    });
    const one = await ownGet('/admin/analytics/sales/top-books?limit=1&sort_by=volume');
    expect(one.json().items.map((i: { book_id: number }) => i.book_id)).toEqual([a.id]);
  });

  it('lists books at or below the threshold, lowest stock first, ties by id', async () => {
    await own.deps.db.execute(sql`UPDATE books SET stock_quantity = 100`);
    const five1 = await createBook(own, { stock: 5, title: 'Five 1', author: 'F' });
    const zero = await createBook(own, { stock: 0, title: 'Zero', author: 'Z' });
    const ten = await createBook(own, { stock: 10, title: 'Ten', author: 'T' });
    await createBook(own, { stock: 11 });
    const five2 = await createBook(own, { stock: 5, title: 'Five 2', author: 'F' });

    const res = await ownGet('/admin/analytics/inventory/low-stock');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      threshold: 10,
      total_low_stock: 4,
      items: [
        { book_id: zero.id, title: 'Zero', author: 'Z', current_stock: 0, threshold: 10 },
        { book_id: five1.id, title: 'Five 1', author: 'F', current_stock: 5, threshold: 10 },
        { book_id: five2.id, title: 'Five 2', author: 'F', current_stock: 5, threshold: 10 },
        { book_id: ten.id, title: 'Ten', author: 'T', current_stock: 10, threshold: 10 },
      ],
    });
    const none = await ownGet('/admin/analytics/inventory/low-stock?threshold=0');
    expect(none.json()).toEqual({
      threshold: 0,
      total_low_stock: 1,
      items: [{ book_id: zero.id, title: 'Zero', author: 'Z', current_stock: 0, threshold: 0 }],
    });
  });

  it('rejects a negative or non-integer threshold with 422, after the admin check', async () => {
    const neg = await ownGet('/admin/analytics/inventory/low-stock?threshold=-1');
    expect(neg.statusCode).toBe(422);
    expect(neg.json().detail[0]).toMatchObject({ type: 'greater_than_equal', loc: ['query', 'threshold'] });
    const text = await ownGet('/admin/analytics/inventory/low-stock?threshold=ten');
    expect(text.json().detail[0]).toMatchObject({ type: 'int_parsing', loc: ['query', 'threshold'] });
    const user = await createUser(own);
    const forbidden = await own.app.inject({
      method: 'GET',
      url: '/admin/analytics/inventory/low-stock?threshold=-1',
      headers: user.auth,
    });
    expect(forbidden.statusCode).toBe(403);
  });
});
