import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  createAdmin,
  createBook,
  createUser,
  startTestApp,
  type TestUser,
  useTestApp,
} from '../../../test/helpers.js';

const t = useTestApp();

const addItem = async (user: TestUser, bookId: number, quantity = 1) => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/cart/items',
    headers: user.auth,
    payload: { book_id: bookId, quantity },
  });
  expect(res.statusCode).toBe(201);
};

const checkout = (user: TestUser, payload: object | null = {}, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/orders/checkout',
    headers: { ...user.auth, ...headers },
    ...(payload !== null && { payload }),
  });

async function stockOf(bookId: number): Promise<number> {
  const r = await t.deps.db.execute<{ s: number }>(
    sql`SELECT stock_quantity AS s FROM books WHERE id = ${bookId}`,
  );
  return r.rows[0]!.s;
}

async function ordersOf(userId: number): Promise<number> {
  const r = await t.deps.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM orders WHERE user_id = ${userId}`,
  );
  return r.rows[0]!.n;
}

async function confirmationJobs(orderIds?: number[]): Promise<string[]> {
  const r = await t.deps.db.execute<{ key: string }>(
    sql`SELECT key FROM graphile_worker.jobs WHERE task_identifier = 'order-confirmation-email' ORDER BY id`,
  );
  const keys = r.rows.map((x) => x.key);
  return orderIds === undefined
    ? keys
    : keys.filter((k) => orderIds.some((id) => k === `order-confirmation:${id}`));
}

async function cartCount(user: TestUser): Promise<number> {
  const res = await t.app.inject({ method: 'GET', url: '/cart', headers: user.auth });
  return res.json<{ items: unknown[] }>().items.length;
}

describe('POST /orders/checkout', () => {
  it('places the order at the checkout-time price, decrements stock, empties the cart and enqueues one e-mail', async () => {
    const user = await createUser(t);
    const a = await createBook(t, { price: '10.00', stock: 5 });
    const b = await createBook(t, { price: '2.25', stock: 3 });
    await addItem(user, b.id, 3);
    await addItem(user, a.id, 2);
    await t.deps.db.execute(sql`UPDATE books SET price = 11.50 WHERE id = ${a.id}`);

    const res = await checkout(user);
    expect(res.statusCode).toBe(201);
    const order = res.json<{ id: number; created_at: string }>();
    expect(order).toEqual({
      id: expect.any(Number),
      status: 'confirmed',
      created_at: expect.stringMatching(/Z$/),
      items: [
        {
          id: expect.any(Number),
          book_id: a.id,
          quantity: 2,
          unit_price: '11.50',
          book: { id: a.id, title: a.title, author: a.author, cover_image_url: null, price: '11.50' },
        },
        {
          id: expect.any(Number),
          book_id: b.id,
          quantity: 3,
          unit_price: '2.25',
          book: { id: b.id, title: b.title, author: b.author, cover_image_url: null, price: '2.25' },
        },
      ],
      total_price: '29.75',
    });
    expect(await stockOf(a.id)).toBe(3);
    expect(await stockOf(b.id)).toBe(0);
    expect(await cartCount(user)).toBe(0);
    expect(await confirmationJobs([order.id])).toEqual([`order-confirmation:${order.id}`]);
  });

  it('requires a JSON body but accepts {}', async () => {
    const user = await createUser(t);
    const res = await checkout(user, null);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }],
      code: 'VALIDATION_ERROR',
    });
    const empty = await checkout(user, {});
    expect(empty.json()).toMatchObject({ code: 'ORDER_CART_EMPTY' });
  });

  it('answers 401 before validating the body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/orders/checkout' });
    expect(res.statusCode).toBe(401);
  });

  it('answers 422 ORDER_CART_EMPTY without a cart and with an emptied cart', async () => {
    const user = await createUser(t);
    const none = await checkout(user);
    expect(none.statusCode).toBe(422);
    expect(none.json()).toEqual({ detail: 'Cart is empty', code: 'ORDER_CART_EMPTY' });

    const book = await createBook(t);
    await addItem(user, book.id);
    const item = (await t.app.inject({ method: 'GET', url: '/cart', headers: user.auth })).json<{
      items: { id: number }[];
    }>().items[0]!;
    await t.app.inject({ method: 'DELETE', url: `/cart/items/${item.id}`, headers: user.auth });
    const emptied = await checkout(user);
    expect(emptied.statusCode).toBe(422);
    expect(emptied.json()).toMatchObject({ code: 'ORDER_CART_EMPTY' });
    expect(await ordersOf(user.id)).toBe(0);
  });

  it('answers 409 ORDER_INSUFFICIENT_STOCK with every short line and changes nothing', async () => {
    const user = await createUser(t);
    const ok = await createBook(t, { stock: 5 });
    const short1 = await createBook(t, { stock: 2 });
    const short2 = await createBook(t, { stock: 1 });
    await addItem(user, ok.id, 1);
    await addItem(user, short2.id, 4);
    await addItem(user, short1.id, 3);
    const jobsBefore = (await confirmationJobs()).length;

    const res = await checkout(user);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      detail: 'Insufficient stock for one or more items',
      code: 'ORDER_INSUFFICIENT_STOCK',
      items: [
        { book_id: short1.id, requested: 3, available: 2 },
        { book_id: short2.id, requested: 4, available: 1 },
      ],
    });
    expect([await stockOf(ok.id), await stockOf(short1.id), await stockOf(short2.id)]).toEqual([5, 2, 1]);
    expect(await cartCount(user)).toBe(3);
    expect(await ordersOf(user.id)).toBe(0);
    expect((await confirmationJobs()).length).toBe(jobsBefore);
  });

  it('answers 402 ORDER_PAYMENT_FAILED for force_payment_failure and persists nothing', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 4 });
    await addItem(user, book.id, 2);
    const jobsBefore = (await confirmationJobs()).length;
    const res = await checkout(user, { force_payment_failure: true });
    expect(res.statusCode).toBe(402);
    expect(res.json()).toEqual({ detail: 'Payment declined', code: 'ORDER_PAYMENT_FAILED' });
    expect(await stockOf(book.id)).toBe(4);
    expect(await cartCount(user)).toBe(1);
    expect(await ordersOf(user.id)).toBe(0);
    expect((await confirmationJobs()).length).toBe(jobsBefore);
  });

  it('rejects a non-boolean force_payment_failure with 422', async () => {
    const user = await createUser(t);
    const res = await checkout(user, { force_payment_failure: 'maybe' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ detail: [{ loc: ['body', 'force_payment_failure'] }] });
  });

  it('sells the last 10 copies to exactly 10 of 50 concurrent buyers, without oversell or 5xx', async () => {
    const book = await createBook(t, { stock: 10, price: '5.00' });
    const buyers = await Promise.all(Array.from({ length: 50 }, () => createUser(t)));
    for (const buyer of buyers) await addItem(buyer, book.id, 1);

    const results = await Promise.all(buyers.map((buyer) => checkout(buyer)));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(10);
    expect(codes.filter((c) => c === 409)).toHaveLength(40);
    for (const r of results.filter((x) => x.statusCode === 409)) {
      expect(r.json()).toMatchObject({
        code: 'ORDER_INSUFFICIENT_STOCK',
        items: [{ book_id: book.id, requested: 1, available: 0 }],
      });
    }
    expect(await stockOf(book.id)).toBe(0);
    const sold = await t.deps.db.execute<{ n: number }>(
      sql`SELECT coalesce(sum(quantity), 0)::int AS n FROM order_items WHERE book_id = ${book.id}`,
    );
    expect(sold.rows[0]!.n).toBe(10);
  });

  it('gives one order and one clean 422 for two concurrent checkouts of one cart', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 10 });
    await addItem(user, book.id, 2);
    const results = await Promise.all([checkout(user), checkout(user)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 422]);
    expect(results.find((r) => r.statusCode === 422)!.json()).toMatchObject({ code: 'ORDER_CART_EMPTY' });
    expect(await ordersOf(user.id)).toBe(1);
    expect(await stockOf(book.id)).toBe(8);
  });
});

describe('Idempotency-Key', () => {
  it('returns the first order (same body, 201) for a retried checkout, with one order and one e-mail', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 5 });
    await addItem(user, book.id, 2);
    const first = await checkout(user, {}, { 'idempotency-key': 'retry-1' });
    expect(first.statusCode).toBe(201);
    const again = await checkout(user, {}, { 'idempotency-key': 'retry-1' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(await ordersOf(user.id)).toBe(1);
    expect(await stockOf(book.id)).toBe(3);
    expect(await confirmationJobs([first.json<{ id: number }>().id])).toHaveLength(1);
  });

  it('returns the one order to every concurrent retry with the same key', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 5 });
    await addItem(user, book.id, 1);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => checkout(user, {}, { 'Idempotency-Key': 'burst' })),
    );
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.json<{ id: number }>().id)).size).toBe(1);
    expect(await ordersOf(user.id)).toBe(1);
    expect(await stockOf(book.id)).toBe(4);
  });

  it('places a new order for a new key, and keys are per user', async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    const book = await createBook(t, { stock: 5 });
    await addItem(user, book.id, 1);
    await addItem(other, book.id, 1);
    const a = await checkout(user, {}, { 'idempotency-key': 'k1' });
    const b = await checkout(other, {}, { 'idempotency-key': 'k1' });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.json<{ id: number }>().id).not.toBe(b.json<{ id: number }>().id);
    await addItem(user, book.id, 1);
    const c = await checkout(user, {}, { 'idempotency-key': 'k2' });
    expect(c.statusCode).toBe(201);
    expect(await ordersOf(user.id)).toBe(2);
  });

  it('lets a failed checkout be retried with the same key', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 5 });
    await addItem(user, book.id, 1);
    const declined = await checkout(user, { force_payment_failure: true }, { 'idempotency-key': 'k-fail' });
    expect(declined.statusCode).toBe(402);
    const ok = await checkout(user, {}, { 'idempotency-key': 'k-fail' });
    expect(ok.statusCode).toBe(201);
  });

  it('answers 422 IDEMPOTENCY_KEY_MISMATCH when the key is reused for a different cart or body', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 9 });
    const other = await createBook(t, { stock: 9 });
    await addItem(user, book.id, 2);
    const first = await checkout(user, {}, { 'idempotency-key': 'reused' });
    expect(first.statusCode).toBe(201);

    await addItem(user, other.id, 1);
    const differentCart = await checkout(user, {}, { 'idempotency-key': 'reused' });
    expect(differentCart.statusCode).toBe(422);
    expect(differentCart.json()).toEqual({
      detail: 'This Idempotency-Key was already used for a different checkout; send a new key',
      code: 'IDEMPOTENCY_KEY_MISMATCH',
    });
    const differentBody = await checkout(
      user,
      { force_payment_failure: true },
      { 'idempotency-key': 'reused' },
    );
    expect(differentBody.statusCode).toBe(422);
    expect(differentBody.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_MISMATCH' });
    // Nothing was placed or taken from the cart; a new key checks the new cart out.
    expect(await ordersOf(user.id)).toBe(1);
    expect(await stockOf(other.id)).toBe(9);
    const fresh = await checkout(user, {}, { 'idempotency-key': 'fresh' });
    expect(fresh.statusCode).toBe(201);
    expect(await stockOf(other.id)).toBe(8);
  });

  it('replays the order while the cart holds the same lines again', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 9 });
    await addItem(user, book.id, 2);
    const first = await checkout(user, {}, { 'idempotency-key': 'same-lines' });
    await addItem(user, book.id, 2);
    const again = await checkout(user, {}, { 'idempotency-key': 'same-lines' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(await ordersOf(user.id)).toBe(1);
  });

  it('treats a key older than 24 hours as new: a second order', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 9 });
    await addItem(user, book.id, 1);
    const first = await checkout(user, {}, { 'idempotency-key': 'old-key' });
    expect(first.statusCode).toBe(201);
    const firstId = first.json<{ id: number }>().id;
    await t.deps.db.execute(
      sql`UPDATE orders SET created_at = now() - interval '24 hours 1 minute' WHERE id = ${firstId}`,
    );
    await addItem(user, book.id, 1);
    const later = await checkout(user, {}, { 'idempotency-key': 'old-key' });
    expect(later.statusCode).toBe(201);
    expect(later.json<{ id: number }>().id).not.toBe(firstId);
    expect(await ordersOf(user.id)).toBe(2);
    // The new order now owns the key: a retry replays it.
    const retry = await checkout(user, {}, { 'idempotency-key': 'old-key' });
    expect(retry.json<{ id: number }>().id).toBe(later.json<{ id: number }>().id);
  });

  it('rejects a key longer than 255 characters with 422', async () => {
    const user = await createUser(t);
    const res = await checkout(user, {}, { 'idempotency-key': 'x'.repeat(256) });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
  });
});

describe('MOCK_PAYMENT_DECLINE_RATE', () => {
  it('declines every checkout at rate 1', async () => {
    const declining = await startTestApp({ env: { MOCK_PAYMENT_DECLINE_RATE: '1' } });
    try {
      const user = await createUser(declining);
      const book = await createBook(declining, { stock: 3 });
      await declining.app.inject({
        method: 'POST',
        url: '/cart/items',
        headers: user.auth,
        payload: { book_id: book.id },
      });
      const res = await declining.app.inject({
        method: 'POST',
        url: '/orders/checkout',
        headers: user.auth,
        payload: {},
      });
      expect(res.statusCode).toBe(402);
      expect(res.json()).toMatchObject({ code: 'ORDER_PAYMENT_FAILED' });
    } finally {
      await declining.close();
    }
  });
});

describe('GET /orders, /orders/{id}, /admin/orders', () => {
  async function placeOrder(user: TestUser, price = '3.00') {
    const book = await createBook(t, { stock: 5, price });
    await addItem(user, book.id, 2);
    const res = await checkout(user);
    expect(res.statusCode).toBe(201);
    return { order: res.json<{ id: number }>(), book };
  }

  it("lists only the caller's orders, newest first", async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    const first = await placeOrder(user);
    const second = await placeOrder(user);
    await placeOrder(other);
    const res = await t.app.inject({ method: 'GET', url: '/orders', headers: user.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ id: number }[]>().map((o) => o.id)).toEqual([second.order.id, first.order.id]);
    const fresh = await createUser(t);
    expect((await t.app.inject({ method: 'GET', url: '/orders', headers: fresh.auth })).json()).toEqual([]);
  });

  it("answers 404 ORDER_NOT_FOUND for another user's order and for an unknown id", async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    const { order } = await placeOrder(user);
    const own = await t.app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: user.auth });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: order.id, total_price: '6.00' });
    for (const url of [`/orders/${order.id}`, '/orders/99999999']) {
      const res = await t.app.inject({ method: 'GET', url, headers: other.auth });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ detail: 'Order not found', code: 'ORDER_NOT_FOUND' });
    }
  });

  it('keeps the line with unit_price and a null book after the book is deleted', async () => {
    const user = await createUser(t);
    const { order, book } = await placeOrder(user, '4.40');
    await t.deps.db.execute(sql`DELETE FROM books WHERE id = ${book.id}`);
    const res = await t.app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: user.auth });
    expect(res.json()).toMatchObject({
      items: [{ book_id: null, quantity: 2, unit_price: '4.40', book: null }],
      total_price: '8.80',
    });
  });

  it('shows the live book values next to the price snapshot', async () => {
    const user = await createUser(t);
    const { order, book } = await placeOrder(user, '5.00');
    await t.deps.db.execute(sql`UPDATE books SET price = 6.00, title = 'Renamed' WHERE id = ${book.id}`);
    const res = await t.app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: user.auth });
    expect(res.json()).toMatchObject({
      items: [{ unit_price: '5.00', book: { title: 'Renamed', price: '6.00' } }],
      total_price: '10.00',
    });
  });

  it('lists every order of every user for an admin, newest first, and 403 for others', async () => {
    const admin = await createAdmin(t);
    const user = await createUser(t);
    const other = await createUser(t);
    const a = await placeOrder(user);
    const b = await placeOrder(other);
    const res = await t.app.inject({ method: 'GET', url: '/admin/orders', headers: admin.auth });
    expect(res.statusCode).toBe(200);
    const ids = res.json<{ id: number; items: unknown[] }[]>().map((o) => o.id);
    expect(ids.indexOf(b.order.id)).toBeLessThan(ids.indexOf(a.order.id));
    const all = await t.deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM orders`);
    expect(ids).toHaveLength(all.rows[0]!.n);
    expect(res.json<{ items: unknown[] }[]>().every((o) => o.items.length > 0)).toBe(true);
    const denied = await t.app.inject({ method: 'GET', url: '/admin/orders', headers: user.auth });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toEqual({ detail: 'Admin access required', code: 'AUTH_FORBIDDEN' });
  });

  it('says who bought each order in the admin list, and only there', async () => {
    const admin = await createAdmin(t);
    const buyer = await createUser(t);
    const { order } = await placeOrder(buyer, '4.00');
    const res = await t.app.inject({ method: 'GET', url: '/admin/orders', headers: admin.auth });
    const listed = res.json<Record<string, unknown>[]>().find((o) => o.id === order.id);
    expect(listed).toMatchObject({
      id: order.id,
      status: 'confirmed',
      total_price: '8.00',
      user_id: buyer.id,
      user_email: buyer.email,
    });
    const own = await t.app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: buyer.auth });
    expect(own.json()).not.toHaveProperty('user_email');
    const mine = await t.app.inject({ method: 'GET', url: '/orders', headers: buyer.auth });
    expect(mine.json<Record<string, unknown>[]>()[0]).not.toHaveProperty('user_id');
  });
});
