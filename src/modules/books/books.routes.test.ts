import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createBook,
  createReview,
  createUser,
  useAdmin,
  useTestApp,
  useUser,
} from '../../../test/helpers.js';

const t = useTestApp();
const admin = useAdmin(t);
const user = useUser(t);
let genreId: number;

beforeAll(async () => {
  const genre = await t.app.inject({
    method: 'POST',
    url: '/genres',
    headers: admin.auth,
    payload: { name: 'Classics' },
  });
  genreId = genre.json<{ id: number }>().id;
});

interface Book {
  id: number;
  title: string;
  author: string;
  price: string;
  isbn: string | null;
  genre_id: number | null;
  description: string | null;
  cover_image_url: string | null;
  publish_date: string | null;
  stock_quantity: number;
}

const post = (payload: Record<string, unknown>, headers = admin.auth) =>
  t.app.inject({ method: 'POST', url: '/books', headers, payload });
const put = (id: number, payload: Record<string, unknown>, headers = admin.auth) =>
  t.app.inject({ method: 'PUT', url: `/books/${id}`, headers, payload });
const get = (id: number | string) => t.app.inject({ method: 'GET', url: `/books/${id}` });
const valid = (extra: Record<string, unknown> = {}) => ({
  title: 'The Great Gatsby',
  author: 'F. Scott Fitzgerald',
  price: '15.99',
  ...extra,
});

async function dbRow(id: number) {
  const result = await t.deps.db.execute<{ price: string; isbn: string | null; updated: number }>(
    sql`SELECT price, isbn, extract(epoch FROM updated_at)::float8 AS updated FROM books WHERE id = ${id}`,
  );
  return result.rows[0];
}

describe('POST /books', () => {
  it('creates a book with every field, stock 0 whatever is sent, and a normalised ISBN', async () => {
    const res = await post(
      valid({
        isbn: '978-0-06-112008-4',
        genre_id: genreId,
        description: 'Jazz age',
        cover_image_url: 'http://img.test/gatsby.png',
        publish_date: '1925-04-10',
        stock_quantity: 50,
        unknown_field: 'ignored',
      }),
    );
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      id: expect.any(Number) as number,
      title: 'The Great Gatsby',
      author: 'F. Scott Fitzgerald',
      price: '15.99',
      isbn: '9780061120084',
      genre_id: genreId,
      description: 'Jazz age',
      cover_image_url: 'http://img.test/gatsby.png',
      publish_date: '1925-04-10',
      stock_quantity: 0,
    });
    expect((await dbRow(res.json<Book>().id))?.isbn).toBe('9780061120084');
  });

  it('renders money with two decimals for integer, string and one-decimal prices', async () => {
    for (const [price, expected] of [
      ['15', '15.00'],
      [15, '15.00'],
      [12.5, '12.50'],
      [19.99, '19.99'],
      ['0.01', '0.01'],
      ['99999999.99', '99999999.99'],
    ] as const) {
      const res = await post(valid({ price }));
      expect(res.statusCode).toBe(201);
      expect(res.json<Book>().price).toBe(expected);
      expect((await get(res.json<Book>().id)).json<Book>().price).toBe(expected);
    }
  });

  it('keeps optional fields null when they are left out', async () => {
    const res = await post(valid());
    expect(res.json()).toMatchObject({
      isbn: null,
      genre_id: null,
      description: null,
      cover_image_url: null,
      publish_date: null,
    });
  });

  it('rejects a price with more than two decimal places', async () => {
    for (const price of [19.999, '19.999', '0.001']) {
      const res = await post(valid({ price }));
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({
        code: 'VALIDATION_ERROR',
        detail: [
          {
            type: 'decimal_max_places',
            loc: ['body', 'price'],
            msg: 'Decimal input should have no more than 2 decimal places',
            input: price,
            ctx: { decimal_places: 2 },
          },
        ],
      });
    }
  });

  it('rejects a price that is not positive, too large, not a number, or missing', async () => {
    const cases: [unknown, string][] = [
      [0, 'greater_than'],
      ['-5', 'greater_than'],
      ['100000000', 'less_than_equal'],
      [1e12, 'less_than_equal'],
      ['abc', 'decimal_parsing'],
      [true, 'decimal_type'],
      [null, 'decimal_type'],
    ];
    for (const [price, type] of cases) {
      const res = await post(valid({ price }));
      expect(res.statusCode, String(price)).toBe(422);
      expect(res.json<{ detail: { type: string; loc: string[] }[] }>().detail).toEqual([
        expect.objectContaining({ type, loc: ['body', 'price'] }),
      ]);
    }
    const zero = await post(valid({ price: 0 }));
    expect(zero.json()).toMatchObject({
      detail: [{ msg: 'Input should be greater than 0', ctx: { gt: 0 } }],
    });
    const missing = await post({ title: 'T', author: 'A' });
    expect(missing.json()).toMatchObject({ detail: [{ type: 'missing', loc: ['body', 'price'] }] });
  });

  it('answers finite_number, echoing the input, for a price that is infinite or not a number', async () => {
    const rawPost = (json: string) =>
      t.app.inject({
        method: 'POST',
        url: '/books',
        headers: { ...admin.auth, 'content-type': 'application/json' },
        payload: json,
      });
    const cases: [string, unknown][] = [
      ['"NaN"', 'NaN'],
      ['"Infinity"', 'Infinity'],
      ['"-inf"', '-inf'],
      ['1e400', 'Infinity'],
      ['-1e400', '-Infinity'],
    ];
    for (const [json, input] of cases) {
      const res = await rawPost(`{"title":"T","author":"A","price":${json}}`);
      expect(res.statusCode, json).toBe(422);
      expect(res.json(), json).toEqual({
        code: 'VALIDATION_ERROR',
        detail: [
          {
            type: 'finite_number',
            loc: ['body', 'price'],
            msg: 'Input should be a finite number',
            input,
          },
        ],
      });
    }
    expect((await post(valid({ price: 'abc' }))).json()).toEqual({
      code: 'VALIDATION_ERROR',
      detail: [
        {
          type: 'decimal_parsing',
          loc: ['body', 'price'],
          msg: 'Input should be a valid decimal',
          input: 'abc',
        },
      ],
    });
  });

  it('reads publish_date as Pydantic does: a date, or a datetime at exactly midnight', async () => {
    const accepted: [unknown, string][] = [
      ['2020-01-01', '2020-01-01'],
      ['2020-01-01T00:00:00', '2020-01-01'],
      ['2020-01-01T00:00:00Z', '2020-01-01'],
      ['2020-01-01T00:00:00+00:00', '2020-01-01'],
      ['2020-01-01 00:00:00.000-05:00', '2020-01-01'],
      ['2024-02-29', '2024-02-29'],
      [1577836800, '2020-01-01'],
      ['1577836800', '2020-01-01'],
      [1577836800000, '2020-01-01'],
    ];
    for (const [publish_date, stored] of accepted) {
      const res = await post(valid({ publish_date }));
      expect(res.statusCode, String(publish_date)).toBe(201);
      const book = res.json<Book>();
      expect(book.publish_date, String(publish_date)).toBe(stored);
      expect((await get(book.id)).json<Book>().publish_date).toBe(stored);
    }
  });

  it('refuses a publish_date that is not a calendar date with pydantic-core types and messages', async () => {
    const parsing = (error: string) => ({
      type: 'date_from_datetime_parsing',
      msg: `Input should be a valid date or datetime, ${error}`,
      ctx: { error },
    });
    const inexact = {
      type: 'date_from_datetime_inexact',
      msg: 'Datetimes provided to dates should have zero time - e.g. be exact dates',
    };
    const cases: [unknown, Record<string, unknown>][] = [
      ['2020-13-01', parsing('month value is outside expected range of 1-12')],
      ['2020-02-30', parsing('day value is outside expected range')],
      ['2023-02-29', parsing('day value is outside expected range')],
      ['2020-01-01T10:00:00', inexact],
      ['2020-01-01T00:00:00.5Z', inexact],
      [1577836801, inexact],
      ['not-a-date', parsing('invalid character in year')],
      ['yesterday', parsing('input is too short')],
      ['', parsing('input is too short')],
      ['2020/01/01', parsing('invalid date separator, expected `-`')],
      ['2020-01-01X', parsing('invalid datetime separator, expected `T`, `t`, `_` or space')],
      ['2020-01-01T25:00:00', parsing('hour value is outside expected range of 0-23')],
      ['2020-01-01T00:00:00+24:00', parsing('timezone offset must be less than 24 hours')],
      ['2020-01-01T00:00:00 extra', parsing('invalid timezone sign')],
      [1e20, parsing('dates after 9999 are not supported as unix timestamps')],
      [
        '0000-01-01',
        {
          type: 'date_parsing',
          msg: 'Input should be a valid date in the format YYYY-MM-DD, year 0 is out of range',
          ctx: { error: 'year 0 is out of range' },
        },
      ],
      [true, { type: 'date_type', msg: 'Input should be a valid date' }],
      [{}, { type: 'date_type', msg: 'Input should be a valid date' }],
    ];
    for (const [publish_date, error] of cases) {
      const res = await post(valid({ publish_date }));
      expect(res.statusCode, String(publish_date)).toBe(422);
      expect(res.json(), String(publish_date)).toEqual({
        code: 'VALIDATION_ERROR',
        detail: [{ loc: ['body', 'publish_date'], input: publish_date, ...error }],
      });
    }
  });

  it('checks the lengths of title, author and cover URL', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ title: '' }, 'title', 'string_too_short'],
      [{ title: 'x'.repeat(501) }, 'title', 'string_too_long'],
      [{ author: '' }, 'author', 'string_too_short'],
      [{ author: 'x'.repeat(256) }, 'author', 'string_too_long'],
      [{ cover_image_url: 'x'.repeat(2049) }, 'cover_image_url', 'string_too_long'],
      [{ publish_date: '2024-02-30' }, 'publish_date', 'date_from_datetime_parsing'],
      [{ publish_date: 'yesterday' }, 'publish_date', 'date_from_datetime_parsing'],
      [{ genre_id: 'abc' }, 'genre_id', 'int_parsing'],
      [{ title: 'nul\u0000' }, 'title', 'value_error'],
      [{ description: 'nul\u0000' }, 'description', 'value_error'],
    ];
    for (const [extra, field, type] of cases) {
      const res = await post(valid(extra));
      expect(res.statusCode, field).toBe(422);
      expect(res.json<{ detail: unknown[] }>().detail).toEqual([
        expect.objectContaining({ type, loc: ['body', field] }),
      ]);
    }
    const limits = await post(
      valid({ title: 'é'.repeat(500), author: '📚'.repeat(255), cover_image_url: 'u'.repeat(2048) }),
    );
    expect(limits.statusCode).toBe(201);
  });

  it('validates the ISBN with the contract messages', async () => {
    const cases: [string, string][] = [
      ['9780306406158', 'ISBN-13 checksum invalid'],
      ['978-0-306-40615-X', 'ISBN-13 must be exactly 13 digits'],
      ['0306406153', 'ISBN-10 checksum invalid'],
      ['03064061X2', 'ISBN-10 must be 9 digits followed by a digit or X'],
      ['123', 'ISBN must be 10 or 13 digits (hyphens ignored)'],
    ];
    for (const [isbn, message] of cases) {
      const res = await post(valid({ isbn }));
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({
        code: 'VALIDATION_ERROR',
        detail: [
          {
            type: 'value_error',
            loc: ['body', 'isbn'],
            msg: `Value error, ${message}`,
            input: isbn,
            ctx: { error: message },
          },
        ],
      });
    }
    expect((await post(valid({ isbn: '9780743273565' }))).json<Book>().isbn).toBe('9780743273565');
    expect((await post(valid({ isbn: '0-306-40615-2' }))).json<Book>().isbn).toBe('0306406152');
    expect((await post(valid({ isbn: '   ' }))).json<Book>().isbn).toBeNull();
  });

  it('answers 409 BOOK_ISBN_CONFLICT for an ISBN already used, also written differently', async () => {
    expect((await post(valid({ isbn: '9780141439518' }))).statusCode).toBe(201);
    const dup = await post(valid({ isbn: '978-0-14-143951-8' }));
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toEqual({
      detail: 'A book with this ISBN already exists',
      code: 'BOOK_ISBN_CONFLICT',
      field: 'isbn',
    });
  });

  it('gives one 201 and 409s for concurrent creations with one ISBN', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => post(valid({ isbn: '9780451524935' }))),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
  });

  it('answers 404 GENRE_NOT_FOUND for an unknown genre', async () => {
    const res = await post(valid({ genre_id: 999999 }));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Genre not found', code: 'GENRE_NOT_FOUND', field: 'genre_id' });
  });

  it('answers 401 and 403 before validating the body', async () => {
    const anonymous = await t.app.inject({ method: 'POST', url: '/books', payload: {} });
    expect(anonymous.statusCode).toBe(401);
    const forbidden = await post({}, user.auth);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual({ detail: 'Admin access required', code: 'AUTH_FORBIDDEN' });
  });
});

describe('GET /books/{book_id}', () => {
  it('shows the book with in_stock and no rating before reviews', async () => {
    const book = await createBook(t, { stock: 3, price: '7.5' });
    const res = await get(book.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: book.id,
      price: '7.50',
      stock_quantity: 3,
      in_stock: true,
      avg_rating: null,
      review_count: 0,
    });
    const empty = await createBook(t, { stock: 0 });
    expect((await get(empty.id)).json()).toMatchObject({ in_stock: false, stock_quantity: 0 });
  });

  it('averages live reviews rounded half-even to one decimal', async () => {
    const cases: [number[], number][] = [
      [[5, 4, 4, 4], 4.2], // 4.25 → 4.2
      [[5, 5, 5, 4], 4.8], // 4.75 → 4.8
      [[4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5], 4.4], // 4.35 → 4.4
      [[5, 4], 4.5],
      [[3], 3],
    ];
    for (const [ratings, expected] of cases) {
      const book = await createBook(t);
      for (const rating of ratings) await createReview(t, { bookId: book.id, rating });
      await createReview(t, { bookId: book.id, rating: 1, deleted: true });
      const res = await get(book.id);
      expect(res.json()).toMatchObject({ avg_rating: expected, review_count: ratings.length });
    }
  });

  it('answers 404 BOOK_NOT_FOUND for an unknown id and 422 for a non-integer id', async () => {
    const res = await get(999999);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Book not found', code: 'BOOK_NOT_FOUND', field: 'book_id' });
    expect((await get(-1)).statusCode).toBe(404);
    const bad = await get('abc');
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ detail: [{ type: 'int_parsing', loc: ['path', 'book_id'] }] });
  });
});

describe('PUT /books/{book_id}', () => {
  it('changes only the fields sent and refreshes updated_at', async () => {
    const created = (
      await post(valid({ isbn: '9780553293357', description: 'keep me', genre_id: genreId }))
    ).json<Book>();
    const before = await dbRow(created.id);
    const res = await put(created.id, { price: 20, title: 'Gatsby' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ...created,
      title: 'Gatsby',
      price: '20.00',
    });
    const after = await dbRow(created.id);
    expect(after!.updated).toBeGreaterThan(before!.updated);
  });

  it('sets nullable fields to null and clears the ISBN with an empty string', async () => {
    const created = (
      await post(
        valid({ isbn: '9780316769488', description: 'd', genre_id: genreId, publish_date: '1951-07-16' }),
      )
    ).json<Book>();
    const res = await put(created.id, {
      isbn: '',
      description: null,
      genre_id: null,
      publish_date: null,
      cover_image_url: null,
    });
    expect(res.json()).toMatchObject({
      isbn: null,
      description: null,
      genre_id: null,
      publish_date: null,
      cover_image_url: null,
    });
    const withIsbn = (await post(valid({ isbn: '9780547928227' }))).json<Book>();
    expect((await put(withIsbn.id, { isbn: null })).json<Book>().isbn).toBeNull();
  });

  it('reads publish_date and price with the same rules as on creation', async () => {
    const book = await createBook(t);
    const midnight = await put(book.id, { publish_date: '2021-06-01T00:00:00+02:00' });
    expect(midnight.statusCode).toBe(200);
    expect(midnight.json<Book>().publish_date).toBe('2021-06-01');
    const res = await put(book.id, { publish_date: '2021-06-01T10:00:00', price: 'NaN' });
    expect(res.statusCode).toBe(422);
    expect(res.json<{ detail: { type: string }[] }>().detail.map((d) => d.type)).toEqual([
      'finite_number',
      'date_from_datetime_inexact',
    ]);
    expect((await get(book.id)).json<Book>().publish_date).toBe('2021-06-01');
  });

  it('normalises a new ISBN and keeps the same ISBN on its own book', async () => {
    const created = (await post(valid())).json<Book>();
    const res = await put(created.id, { isbn: '978-0-06-093546-7' });
    expect(res.json<Book>().isbn).toBe('9780060935467');
    expect((await put(created.id, { isbn: '9780060935467' })).statusCode).toBe(200);
  });

  it('rejects null for title, author and price with 422', async () => {
    const book = await createBook(t);
    for (const [field, type] of [
      ['title', 'string_type'],
      ['author', 'string_type'],
      ['price', 'decimal_type'],
    ]) {
      const res = await put(book.id, { [field!]: null });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ detail: [{ type, loc: ['body', field] }] });
    }
    const bad = await put(book.id, { price: '1.234', isbn: '9780306406158' });
    expect(bad.json<{ detail: { loc: string[] }[] }>().detail.map((d) => d.loc[1])).toEqual([
      'price',
      'isbn',
    ]);
  });

  it('answers 409 for an ISBN of another book and 404 for an unknown genre', async () => {
    await post(valid({ isbn: '9780060850524' }));
    const other = await createBook(t);
    const dup = await put(other.id, { isbn: '9780060850524' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'BOOK_ISBN_CONFLICT', field: 'isbn' });
    const genre = await put(other.id, { genre_id: 424242 });
    expect(genre.statusCode).toBe(404);
    expect(genre.json()).toMatchObject({ code: 'GENRE_NOT_FOUND', field: 'genre_id' });
  });

  it('answers 404 BOOK_NOT_FOUND for an unknown book even when the body would conflict', async () => {
    await post(valid({ isbn: '9780062315007' }));
    const res = await put(999999, { isbn: '9780062315007', genre_id: 424242 });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'BOOK_NOT_FOUND', field: 'book_id' });
  });

  it('cannot change the stock', async () => {
    const book = await createBook(t, { stock: 4 });
    const res = await put(book.id, { stock_quantity: 99 });
    expect(res.json<Book>().stock_quantity).toBe(4);
  });

  it('answers 401 and 403 before validation', async () => {
    const book = await createBook(t);
    expect(
      (await t.app.inject({ method: 'PUT', url: `/books/${book.id}`, payload: { price: 'x' } })).statusCode,
    ).toBe(401);
    expect((await put(book.id, { price: 'x' }, user.auth)).statusCode).toBe(403);
  });
});

describe('DELETE /books/{book_id}', () => {
  it('deletes the book with its cart lines, wishlist entries, pre-bookings and reviews; order lines keep their price', async () => {
    const book = await createBook(t, { stock: 0 });
    const shopper = await createUser(t);
    const db = t.deps.db;
    await db.execute(sql`INSERT INTO carts (user_id) VALUES (${shopper.id})`);
    await db.execute(
      sql`INSERT INTO cart_items (cart_id, book_id, quantity) SELECT id, ${book.id}, 1 FROM carts WHERE user_id = ${shopper.id}`,
    );
    await db.execute(sql`INSERT INTO wishlist_items (user_id, book_id) VALUES (${shopper.id}, ${book.id})`);
    await db.execute(
      sql`INSERT INTO pre_bookings (user_id, book_id, status) VALUES (${shopper.id}, ${book.id}, 'waiting')`,
    );
    await db.execute(
      sql`INSERT INTO reviews (user_id, book_id, rating) VALUES (${shopper.id}, ${book.id}, 5)`,
    );
    const order = await db.execute<{ id: number }>(
      sql`INSERT INTO orders (user_id, status) VALUES (${shopper.id}, 'confirmed') RETURNING id`,
    );
    const orderId = order.rows[0]!.id;
    await db.execute(
      sql`INSERT INTO order_items (order_id, book_id, quantity, unit_price) VALUES (${orderId}, ${book.id}, 2, 9.99)`,
    );

    const res = await t.app.inject({ method: 'DELETE', url: `/books/${book.id}`, headers: admin.auth });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await get(book.id)).statusCode).toBe(404);

    const counts = await db.execute<Record<string, number>>(sql`SELECT
      (SELECT count(*) FROM cart_items WHERE book_id = ${book.id}) AS cart,
      (SELECT count(*) FROM wishlist_items WHERE book_id = ${book.id}) AS wishlist,
      (SELECT count(*) FROM pre_bookings WHERE book_id = ${book.id}) AS prebooks,
      (SELECT count(*) FROM reviews WHERE book_id = ${book.id}) AS reviews`);
    expect(counts.rows[0]).toEqual({ cart: 0, wishlist: 0, prebooks: 0, reviews: 0 });
    const line = await db.execute(
      sql`SELECT book_id, quantity, unit_price FROM order_items WHERE order_id = ${orderId}`,
    );
    expect(line.rows).toEqual([{ book_id: null, quantity: 2, unit_price: '9.99' }]);
  });

  it('answers 404 for an unknown book, 401 without a token and 403 for a non-admin', async () => {
    const missing = await t.app.inject({ method: 'DELETE', url: '/books/999999', headers: admin.auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'BOOK_NOT_FOUND' });
    const book = await createBook(t);
    expect((await t.app.inject({ method: 'DELETE', url: `/books/${book.id}` })).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/books/${book.id}`, headers: user.auth })).statusCode,
    ).toBe(403);
    expect((await get(book.id)).statusCode).toBe(200);
  });
});

describe('OpenAPI document', () => {
  it('describes the catalog routes with their request and response schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: object };
    }>();
    expect(Object.keys(doc.paths['/books']!)).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths['/books/{book_id}']!)).toEqual(
      expect.arrayContaining(['get', 'put', 'delete']),
    );
    expect(doc.paths['/genres']).toBeDefined();
    expect(doc.paths['/uploads/images']).toBeDefined();
    expect(doc.components.schemas).toHaveProperty('BookResponse');
    expect(doc.components.schemas).toHaveProperty('BookDetailResponse');
  });
});
