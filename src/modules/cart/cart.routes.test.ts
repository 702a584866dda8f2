import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBook, createBooks, createUser, type TestUser, useTestApp } from '../../../test/helpers.js';

const t = useTestApp();

const addItem = (user: TestUser, payload: unknown) =>
  t.app.inject({ method: 'POST', url: '/cart/items', headers: user.auth, payload: payload as object });
const getCart = (user: TestUser) => t.app.inject({ method: 'GET', url: '/cart', headers: user.auth });
const putItem = (user: TestUser, id: number | string, payload: object) =>
  t.app.inject({ method: 'PUT', url: `/cart/items/${id}`, headers: user.auth, payload });
const deleteItem = (user: TestUser, id: number | string) =>
  t.app.inject({ method: 'DELETE', url: `/cart/items/${id}`, headers: user.auth });

describe('GET /cart', () => {
  it('answers an empty cart without creating one for a user who never added anything', async () => {
    const user = await createUser(t);
    const res = await getCart(user);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], total_items: 0, total_price: '0.00' });
    const carts = await t.deps.db.execute(sql`SELECT 1 FROM carts WHERE user_id = ${user.id}`);
    expect(carts.rows).toHaveLength(0);
  });

  it('requires authentication', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/cart' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ detail: 'Not authenticated', code: 'HTTP_401' });
  });

  it('lists items in insertion order with live prices and totals', async () => {
    const user = await createUser(t);
    const a = await createBook(t, { price: '12.50', stock: 5 });
    const b = await createBook(t, { price: '3.99', stock: 5 });
    await addItem(user, { book_id: a.id, quantity: 2 });
    await addItem(user, { book_id: b.id });
    await t.deps.db.execute(sql`UPDATE books SET price = 13.00 WHERE id = ${a.id}`);
    const res = await getCart(user);
    const body = res.json<{ items: { book_id: number; quantity: number; book: { price: string } }[] }>();
    expect(body.items.map((i) => [i.book_id, i.quantity, i.book.price])).toEqual([
      [a.id, 2, '13.00'],
      [b.id, 1, '3.99'],
    ]);
    expect(res.json()).toMatchObject({ total_items: 3, total_price: '29.99' });
  });
});

describe('POST /cart/items', () => {
  it('creates the cart lazily and answers 201 with the item and its book summary', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { price: '9.90', stock: 1 });
    const res = await addItem(user, { book_id: book.id, quantity: '3' });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ id: number }>();
    expect(body).toEqual({
      id: expect.any(Number),
      book_id: book.id,
      quantity: 3,
      book: { id: book.id, title: book.title, author: book.author, price: '9.90', cover_image_url: null },
    });
  });

  it('defaults the quantity to 1', async () => {
    const user = await createUser(t);
    const book = await createBook(t);
    const res = await addItem(user, { book_id: book.id });
    expect(res.json()).toMatchObject({ quantity: 1 });
  });

  it.each([0, -1, 1000, 2 ** 40, 'many'])('rejects the quantity %s with 422', async (quantity) => {
    const user = await createUser(t);
    const book = await createBook(t);
    const res = await addItem(user, { book_id: book.id, quantity });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR', detail: [{ loc: ['body', 'quantity'] }] });
  });

  it('accepts the quantity 999, more than the stock', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 1 });
    expect((await addItem(user, { book_id: book.id, quantity: 999 })).statusCode).toBe(201);
  });

  it('requires book_id', async () => {
    const user = await createUser(t);
    const res = await addItem(user, { quantity: 1 });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ detail: [{ type: 'missing', loc: ['body', 'book_id'] }] });
  });

  it('answers 404 BOOK_NOT_FOUND for an unknown book', async () => {
    const user = await createUser(t);
    const res = await addItem(user, { book_id: 987654 });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Book not found', code: 'BOOK_NOT_FOUND', field: 'book_id' });
  });

  it('answers 409 CART_BOOK_OUT_OF_STOCK for a book with no stock', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 0 });
    const res = await addItem(user, { book_id: book.id });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      detail: 'This book is out of stock and cannot be added to cart',
      code: 'CART_BOOK_OUT_OF_STOCK',
      field: 'book_id',
    });
  });

  it('answers 409 CART_ITEM_DUPLICATE when the book is already in the cart, without merging', async () => {
    const user = await createUser(t);
    const book = await createBook(t);
    await addItem(user, { book_id: book.id, quantity: 2 });
    const res = await addItem(user, { book_id: book.id, quantity: 5 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      detail: 'This book is already in your cart',
      code: 'CART_ITEM_DUPLICATE',
      field: 'book_id',
    });
    const cart = await getCart(user);
    expect(cart.json()).toMatchObject({ total_items: 2 });
  });

  it('keeps one line and answers 409 to the others when the same book is added concurrently', async () => {
    const user = await createUser(t);
    const book = await createBook(t);
    const results = await Promise.all(Array.from({ length: 8 }, () => addItem(user, { book_id: book.id })));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((r) => r.statusCode === 409)) {
      expect(r.json()).toMatchObject({ code: 'CART_ITEM_DUPLICATE' });
    }
    const carts = await t.deps.db.execute(sql`SELECT 1 FROM carts WHERE user_id = ${user.id}`);
    expect(carts.rows).toHaveLength(1);
  });
});

describe('PUT and DELETE /cart/items/{item_id}', () => {
  async function itemOf(user: TestUser) {
    const book = await createBook(t, { price: '4.00' });
    const res = await addItem(user, { book_id: book.id, quantity: 1 });
    return res.json<{ id: number }>().id;
  }

  it('updates the quantity', async () => {
    const user = await createUser(t);
    const id = await itemOf(user);
    const res = await putItem(user, id, { quantity: 7 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, quantity: 7, book: { price: '4.00' } });
  });

  it.each([0, 1000])('rejects the quantity %s with 422', async (quantity) => {
    const user = await createUser(t);
    const id = await itemOf(user);
    const res = await putItem(user, id, { quantity });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ detail: [{ loc: ['body', 'quantity'] }] });
  });

  it("answers 403 CART_ITEM_FORBIDDEN for another user's item and leaves it alone", async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    const id = await itemOf(owner);
    const put = await putItem(other, id, { quantity: 5 });
    expect(put.statusCode).toBe(403);
    expect(put.json()).toEqual({
      detail: 'Not authorized to modify this cart item',
      code: 'CART_ITEM_FORBIDDEN',
    });
    const del = await deleteItem(other, id);
    expect(del.statusCode).toBe(403);
    const cart = await getCart(owner);
    expect(cart.json()).toMatchObject({ items: [{ id, quantity: 1 }] });
  });

  it('answers 404 CART_ITEM_NOT_FOUND for an unknown item', async () => {
    const user = await createUser(t);
    const put = await putItem(user, 999999, { quantity: 1 });
    expect(put.statusCode).toBe(404);
    expect(put.json()).toEqual({
      detail: 'Cart item not found',
      code: 'CART_ITEM_NOT_FOUND',
      field: 'item_id',
    });
    const del = await deleteItem(user, 999999);
    expect(del.statusCode).toBe(404);
    expect(del.json()).toMatchObject({ code: 'CART_ITEM_NOT_FOUND', field: 'item_id' });
  });

  it('deletes an item with 204 and an empty body', async () => {
    const user = await createUser(t);
    const id = await itemOf(user);
    const res = await deleteItem(user, id);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const cart = await getCart(user);
    expect(cart.json()).toEqual({ items: [], total_items: 0, total_price: '0.00' });
  });

  it('answers 422 for a non-integer item id', async () => {
    const user = await createUser(t);
    const res = await deleteItem(user, 'abc');
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ detail: [{ loc: ['path', 'item_id'] }] });
  });
});

describe('cart size cap', () => {
  it('holds at most 100 lines: concurrent additions at 97 give exactly 3 more and CART_LIMIT_REACHED', async () => {
    const user = await createUser(t);
    const bookIds = await createBooks(t, 107);
    // 97 lines through the API's own cart row, then ten additions at once.
    const first = await addItem(user, { book_id: bookIds[0], quantity: 1 });
    expect(first.statusCode).toBe(201);
    await t.deps.db.execute(sql`
      INSERT INTO cart_items (cart_id, book_id, quantity)
      SELECT c.id, b, 1 FROM carts c, unnest(${sql.param(bookIds.slice(1, 97))}::int[]) AS b
      WHERE c.user_id = ${user.id}`);
    const results = await Promise.all(bookIds.slice(97).map((id) => addItem(user, { book_id: id })));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) {
      expect(r.json()).toEqual({
        detail: 'A cart holds at most 100 books; remove one first',
        code: 'CART_LIMIT_REACHED',
      });
    }
    const cart = await getCart(user);
    expect(cart.json<{ items: unknown[] }>().items).toHaveLength(100);
    // Room again once a line goes.
    const line = cart.json<{ items: { id: number }[] }>().items[0]!;
    const del = await t.app.inject({ method: 'DELETE', url: `/cart/items/${line.id}`, headers: user.auth });
    expect(del.statusCode).toBe(204);
    const refused = results.findIndex((r) => r.statusCode === 409);
    expect((await addItem(user, { book_id: bookIds[97 + refused] })).statusCode).toBe(201);
  });
});
