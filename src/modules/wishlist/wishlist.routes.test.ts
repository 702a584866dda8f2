import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBook, createBooks, createUser, type TestUser, useTestApp } from '../../../test/helpers.js';

const t = useTestApp();

const add = (user: TestUser, payload: object) =>
  t.app.inject({ method: 'POST', url: '/wishlist', headers: user.auth, payload });
const list = (user: TestUser) => t.app.inject({ method: 'GET', url: '/wishlist', headers: user.auth });

describe('wishlist', () => {
  it('adds any existing book, in or out of stock, with its live price and stock', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 0, price: '7.50' });
    const res = await add(user, { book_id: book.id });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      id: expect.any(Number),
      book_id: book.id,
      added_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/),
      book: {
        id: book.id,
        title: book.title,
        author: book.author,
        price: '7.50',
        stock_quantity: 0,
        cover_image_url: null,
      },
    });
  });

  it('lists newest first, with ties broken by id', async () => {
    const user = await createUser(t);
    const books = [await createBook(t), await createBook(t), await createBook(t)];
    for (const b of books) await add(user, { book_id: b.id });
    // Same added_at for two entries: the later id comes first.
    await t.deps.db.execute(
      sql`UPDATE wishlist_items SET added_at = '2030-01-01T00:00:00Z' WHERE user_id = ${user.id} AND book_id <> ${books[2]!.id}`,
    );
    const res = await list(user);
    expect(res.statusCode).toBe(200);
    const ids = res.json<{ items: { book_id: number }[] }>().items.map((i) => i.book_id);
    expect(ids).toEqual([books[1]!.id, books[0]!.id, books[2]!.id]);
  });

  it('answers 404 BOOK_NOT_FOUND for an unknown book', async () => {
    const user = await createUser(t);
    const res = await add(user, { book_id: 424242 });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Book not found', code: 'BOOK_NOT_FOUND', field: 'book_id' });
  });

  it('answers 409 WISHLIST_ITEM_DUPLICATE for a book already listed, also under concurrent adds', async () => {
    const user = await createUser(t);
    const book = await createBook(t);
    const results = await Promise.all(Array.from({ length: 5 }, () => add(user, { book_id: book.id })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(results.find((r) => r.statusCode === 409)!.json()).toEqual({
      detail: 'This book is already on your wishlist',
      code: 'WISHLIST_ITEM_DUPLICATE',
      field: 'book_id',
    });
  });

  it('requires book_id', async () => {
    const user = await createUser(t);
    const res = await add(user, {});
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ detail: [{ type: 'missing', loc: ['body', 'book_id'] }] });
  });

  it('removes by book id, and answers 404 WISHLIST_ITEM_NOT_FOUND when the book is not listed', async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    const book = await createBook(t);
    await add(user, { book_id: book.id });
    const foreign = await t.app.inject({
      method: 'DELETE',
      url: `/wishlist/${book.id}`,
      headers: other.auth,
    });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({
      detail: 'Wishlist item not found',
      code: 'WISHLIST_ITEM_NOT_FOUND',
      field: 'book_id',
    });
    const res = await t.app.inject({ method: 'DELETE', url: `/wishlist/${book.id}`, headers: user.auth });
    expect(res.statusCode).toBe(204);
    expect((await list(user)).json()).toEqual({ items: [] });
    const again = await t.app.inject({ method: 'DELETE', url: `/wishlist/${book.id}`, headers: user.auth });
    expect(again.statusCode).toBe(404);
  });

  it("shows only the caller's entries", async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    await add(other, { book_id: (await createBook(t)).id });
    expect((await list(user)).json()).toEqual({ items: [] });
  });
});

describe('wishlist size cap', () => {
  it('holds at most 500 books: concurrent additions at 497 give exactly 3 more and WISHLIST_LIMIT_REACHED', async () => {
    const user = await createUser(t);
    const bookIds = await createBooks(t, 507);
    await t.deps.db.execute(sql`
      INSERT INTO wishlist_items (user_id, book_id)
      SELECT ${user.id}, b FROM unnest(${sql.param(bookIds.slice(0, 497))}::int[]) AS b`);
    const results = await Promise.all(bookIds.slice(497).map((id) => add(user, { book_id: id })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([
      201, 201, 201, 409, 409, 409, 409, 409, 409, 409,
    ]);
    for (const r of results.filter((x) => x.statusCode === 409)) {
      expect(r.json()).toEqual({
        detail: 'A wishlist holds at most 500 books; remove one first',
        code: 'WISHLIST_LIMIT_REACHED',
      });
    }
    expect((await list(user)).json<{ items: unknown[] }>().items).toHaveLength(500);
    // An unknown book is still 404, a listed one still a duplicate; a removal makes room again.
    expect((await add(user, { book_id: 2_000_000_000 })).json()).toMatchObject({ code: 'BOOK_NOT_FOUND' });
    const del = await t.app.inject({ method: 'DELETE', url: `/wishlist/${bookIds[0]}`, headers: user.auth });
    expect(del.statusCode).toBe(204);
    const refused = results.findIndex((r) => r.statusCode === 409);
    expect((await add(user, { book_id: bookIds[497 + refused] })).statusCode).toBe(201);
  });
});
