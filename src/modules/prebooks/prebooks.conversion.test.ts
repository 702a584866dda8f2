import { describe, expect, it } from 'vitest';
import { createAdmin, createBook, createUser, type TestUser, useTestApp } from '../../../test/helpers.js';

const t = useTestApp();

const json = { 'content-type': 'application/json' };

/** A JSON request by `user`, as the store's front end sends it. */
const send = (user: TestUser, method: 'POST' | 'PATCH', url: string, payload: object) =>
  t.app.inject({ method, url, headers: { ...json, ...user.auth }, payload });
const preBook = (user: TestUser, bookId: number) => send(user, 'POST', '/prebooks', { book_id: bookId });
const setStock = (user: TestUser, bookId: number, quantity: number) =>
  send(user, 'PATCH', `/books/${bookId}/stock`, { quantity });
const addToCart = (user: TestUser, payload: object) => send(user, 'POST', '/cart/items', payload);
const placeOrder = (user: TestUser) => send(user, 'POST', '/orders/checkout', {});
const myPreBookings = async (user: TestUser) =>
  (await t.app.inject({ method: 'GET', url: '/prebooks', headers: user.auth })).json<{
    items: { status: string; converted_order_id: number | null; converted_at: string | null }[];
  }>().items;

describe('a notified pre-booking converted by a checkout', () => {
  it('records the order on the pre-booking and counts it in the demand report', async () => {
    const admin = await createAdmin(t);
    const reader = await createUser(t);
    const bystander = await createUser(t);
    const book = await createBook(t, { stock: 0, price: '12.50' });

    for (const u of [reader, bystander]) {
      const res = await preBook(u, book.id);
      expect(res.statusCode).toBe(201);
    }
    const restock = await setStock(admin, book.id, 5);
    expect(restock.statusCode).toBe(200);

    const add = await addToCart(reader, { book_id: book.id, quantity: 2 });
    expect(add.statusCode).toBe(201);
    const checkout = await placeOrder(reader);
    expect(checkout.statusCode).toBe(201);
    const orderId = checkout.json().id as number;

    const mine = await myPreBookings(reader);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ status: 'notified', converted_order_id: orderId, queue_position: null });
    expect(mine[0]!.converted_at).toMatch(/Z$/);

    // The other notified reader bought nothing: no conversion for them.
    const theirs = await myPreBookings(bystander);
    expect(theirs[0]).toMatchObject({ status: 'notified', converted_order_id: null, converted_at: null });

    const demand = await t.app.inject({
      method: 'GET',
      url: '/admin/analytics/prebooks/demand',
      headers: admin.auth,
    });
    expect(demand.statusCode).toBe(200);
    const row = (demand.json().items as { book_id: number }[]).find((r) => r.book_id === book.id);
    expect(row).toMatchObject({ notified_count: 2, converted_count: 1, waiting_count: 0, stock_quantity: 3 });
  });

  it('does not convert a pre-booking that is still waiting or was cancelled', async () => {
    const admin = await createAdmin(t);
    const reader = await createUser(t);
    const book = await createBook(t, { stock: 0 });
    const created = await preBook(reader, book.id);
    const cancel = await t.app.inject({
      method: 'DELETE',
      url: `/prebooks/${created.json().id}`,
      headers: reader.auth,
    });
    expect(cancel.statusCode).toBe(204);
    await setStock(admin, book.id, 3);
    await addToCart(reader, { book_id: book.id });
    const checkout = await placeOrder(reader);
    expect(checkout.statusCode).toBe(201);
    const mine = await myPreBookings(reader);
    expect(mine[0]).toMatchObject({ status: 'cancelled', converted_order_id: null });
  });
});
