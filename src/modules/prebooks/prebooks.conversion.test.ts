import { describe, expect, it } from 'vitest';
import { createAdmin, createBook, createUser, useTestApp } from '../../../test/helpers.js';

const t = useTestApp();

const json = { 'content-type': 'application/json' };

describe('a notified pre-booking converted by a checkout', () => {
  it('records the order on the pre-booking and counts it in the demand report', async () => {
    const admin = await createAdmin(t);
    const reader = await createUser(t);
    const bystander = await createUser(t);
    const book = await createBook(t, { stock: 0, price: '12.50' });

    for (const u of [reader, bystander]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/prebooks',
        headers: { ...json, ...u.auth },
        payload: { book_id: book.id },
      });
      expect(res.statusCode).toBe(201);
    }
    const restock = await t.app.inject({
      method: 'PATCH',
      url: `/books/${book.id}/stock`,
      headers: { ...json, ...admin.auth },
      payload: { quantity: 5 },
    });
    expect(restock.statusCode).toBe(200);

    const add = await t.app.inject({
      method: 'POST',
      url: '/cart/items',
      headers: { ...json, ...reader.auth },
      payload: { book_id: book.id, quantity: 2 },
    });
    expect(add.statusCode).toBe(201);
    const checkout = await t.app.inject({
      method: 'POST',
      url: '/orders/checkout',
      headers: { ...json, ...reader.auth },
      payload: {},
    });
    expect(checkout.statusCode).toBe(201);
    const orderId = checkout.json().id as number;

    const mine = (await t.app.inject({ method: 'GET', url: '/prebooks', headers: reader.auth })).json().items;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ status: 'notified', converted_order_id: orderId, queue_position: null });
    expect(mine[0].converted_at).toMatch(/Z$/);

    // The other notified reader bought nothing: no conversion for them.
    const theirs = (await t.app.inject({ method: 'GET', url: '/prebooks', headers: bystander.auth })).json()
      .items;
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
    const created = await t.app.inject({
      method: 'POST',
      url: '/prebooks',
      headers: { ...json, ...reader.auth },
      payload: { book_id: book.id },
    });
    const cancel = await t.app.inject({
      method: 'DELETE',
      url: `/prebooks/${created.json().id}`,
      headers: reader.auth,
    });
    expect(cancel.statusCode).toBe(204);
    await t.app.inject({
      method: 'PATCH',
      url: `/books/${book.id}/stock`,
      headers: { ...json, ...admin.auth },
      payload: { quantity: 3 },
    });
    await t.app.inject({
      method: 'POST',
      url: '/cart/items',
      headers: { ...json, ...reader.auth },
      payload: { book_id: book.id },
    });
    const checkout = await t.app.inject({
      method: 'POST',
      url: '/orders/checkout',
      headers: { ...json, ...reader.auth },
      payload: {},
    });
    expect(checkout.statusCode).toBe(201);
    const mine = (await t.app.inject({ method: 'GET', url: '/prebooks', headers: reader.auth })).json().items;
    expect(mine[0]).toMatchObject({ status: 'cancelled', converted_order_id: null });
  });
});
