import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBook, createUser, useTestDeps } from '../../../test/helpers.js';
import { createCartService } from '../cart/cart.service.js';
import { checkoutPreBookings } from '../prebooks/prebooks.checkout.js';
import { createOrdersService } from './orders.service.js';

/**
 * The business rules of checkout, at the service level: one transaction takes the copies off the stock, writes
 * the order at the prices of the moment and clears the cart; a refusal leaves every row as it was.
 */
const t = useTestDeps();
const cart = () => createCartService(t.deps);
const orders = () => createOrdersService(t.deps, checkoutPreBookings(t.deps));

const stockOf = async (bookId: number) =>
  (
    await t.deps.db.execute<{ stock_quantity: number }>(
      sql`SELECT stock_quantity FROM books WHERE id = ${bookId}`,
    )
  ).rows[0]!.stock_quantity;

const cartLines = async (userId: number) =>
  (
    await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.user_id = ${userId}`,
    )
  ).rows[0]!.n;

describe('orders service: checkout', () => {
  it('sells the copies, totals in exact cents and clears the cart, in one transaction', async () => {
    const buyer = await createUser(t);
    const a = await createBook(t, { stock: 5, price: '19.99' });
    const b = await createBook(t, { stock: 1, price: '0.10' });
    await cart().addItem(buyer.id, a.id, 3);
    await cart().addItem(buyer.id, b.id, 1);

    const order = await orders().checkout({ userId: buyer.id, forcePaymentFailure: false });

    expect(order).toMatchObject({ status: 'confirmed', total_price: '60.07' });
    expect(order.items.map((i) => [i.book_id, i.quantity, i.unit_price])).toEqual([
      [a.id, 3, '19.99'],
      [b.id, 1, '0.10'],
    ]);
    expect(await stockOf(a.id)).toBe(2);
    expect(await stockOf(b.id)).toBe(0);
    expect(await cartLines(buyer.id)).toBe(0);
  });

  it('insufficient stock refuses the whole order and changes nothing', async () => {
    const buyer = await createUser(t);
    const a = await createBook(t, { stock: 5 });
    const b = await createBook(t, { stock: 2 });
    await cart().addItem(buyer.id, a.id, 1);
    await cart().addItem(buyer.id, b.id, 2);
    await t.deps.db.execute(sql`UPDATE books SET stock_quantity = 1 WHERE id = ${b.id}`);

    await expect(orders().checkout({ userId: buyer.id, forcePaymentFailure: false })).rejects.toMatchObject({
      statusCode: 409,
      code: 'ORDER_INSUFFICIENT_STOCK',
    });
    expect(await stockOf(a.id)).toBe(5);
    expect(await stockOf(b.id)).toBe(1);
    expect(await cartLines(buyer.id)).toBe(2);
    expect(await orders().listOrders(buyer.id)).toEqual([]);
  });

  it('an empty cart is ORDER_CART_EMPTY', async () => {
    const buyer = await createUser(t);
    await expect(orders().checkout({ userId: buyer.id, forcePaymentFailure: false })).rejects.toMatchObject({
      statusCode: 422,
      code: 'ORDER_CART_EMPTY',
    });
  });

  it('truly concurrent checkouts of the last 3 copies by 6 buyers: 3 orders, stock 0, never below', async () => {
    const book = await createBook(t, { stock: 3 });
    const buyers = await Promise.all(Array.from({ length: 6 }, () => createUser(t)));
    for (const buyer of buyers) await cart().addItem(buyer.id, book.id, 1);

    const outcomes = await Promise.allSettled(
      buyers.map((buyer) => orders().checkout({ userId: buyer.id, forcePaymentFailure: false })),
    );

    const sold = outcomes.filter((o) => o.status === 'fulfilled');
    expect(sold).toHaveLength(3);
    for (const o of outcomes)
      if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'ORDER_INSUFFICIENT_STOCK' });
    expect(await stockOf(book.id)).toBe(0);
  });

  it('the same Idempotency-Key replays the first order instead of selling twice', async () => {
    const buyer = await createUser(t);
    const book = await createBook(t, { stock: 4 });
    await cart().addItem(buyer.id, book.id, 2);
    const req = { userId: buyer.id, forcePaymentFailure: false, idempotencyKey: 'svc-test-key-1' };

    const [first, second] = await Promise.all([orders().checkout(req), orders().checkout(req)]);

    expect(second.id).toBe(first.id);
    expect(await stockOf(book.id)).toBe(2);
    expect(await orders().listOrders(buyer.id)).toHaveLength(1);
  });
});
