import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBook, createUser, insertOrder, useTestApp } from '../../test/helpers.js';
import { isoDateTime } from '../http/schemas.js';
import { reviews } from '../modules/reviews/reviews.table.js';
import { parsePgTimestamptz, PreciseDate } from './timestamptz.js';

const t = useTestApp();

const INSTANTS = [
  { stored: '2026-03-01 12:34:56.123456+00', wire: '2026-03-01T12:34:56.123456Z' },
  { stored: '2026-03-01 12:34:56.000001+00', wire: '2026-03-01T12:34:56.000001Z' },
  { stored: '2026-03-01 12:34:56.120000+00', wire: '2026-03-01T12:34:56.120000Z' },
  { stored: '2026-03-01 12:34:56+00', wire: '2026-03-01T12:34:56Z' },
];

describe('reading PostgreSQL timestamptz text', () => {
  it('keeps the microseconds below the millisecond', () => {
    const d = parsePgTimestamptz('2026-03-01 12:34:56.123456+00')!;
    expect(d).toBeInstanceOf(PreciseDate);
    expect(d.toISOString()).toBe('2026-03-01T12:34:56.123Z');
    expect(d.micros).toBe(456);
  });

  it('applies the offset of the session time zone, including minutes and seconds', () => {
    expect(isoDateTime(parsePgTimestamptz('2026-03-01 18:04:56.5+05:30')!)).toBe(
      '2026-03-01T12:34:56.500000Z',
    );
    expect(isoDateTime(parsePgTimestamptz('2026-03-01 09:34:56.000007-03')!)).toBe(
      '2026-03-01T12:34:56.000007Z',
    );
    expect(isoDateTime(parsePgTimestamptz('1890-01-01 00:53:28+00:53:28')!)).toBe('1890-01-01T00:00:00Z');
  });

  it('leaves text in another form to the caller', () => {
    expect(parsePgTimestamptz('infinity')).toBeNull();
    expect(parsePgTimestamptz('0044-03-15 12:00:00+00 BC')).toBeNull();
  });

  it('prints a plain Date from the application clock with its milliseconds as six digits', () => {
    expect(isoDateTime(new Date('2026-03-01T12:34:56.123Z'))).toBe('2026-03-01T12:34:56.123000Z');
    expect(isoDateTime(new Date('2026-03-01T12:34:56.000Z'))).toBe('2026-03-01T12:34:56Z');
  });

  it('reads microseconds in plain pool queries in any session time zone', async () => {
    const client = await t.deps.pool.connect();
    try {
      await client.query(`SET TIME ZONE 'Asia/Kolkata'`);
      const { rows } = await client.query<{ at: Date }>(
        `SELECT '2026-03-01 12:34:56.123456+00'::timestamptz AS at`,
      );
      expect(isoDateTime(rows[0]!.at)).toBe('2026-03-01T12:34:56.123456Z');
    } finally {
      await client.query('RESET TIME ZONE');
      client.release();
    }
  });
});

describe('datetimes in responses keep the stored microseconds', () => {
  it.each(INSTANTS)('a review created at $stored shows created_at $wire', async ({ stored, wire }) => {
    const user = await createUser(t);
    const book = await createBook(t);
    const result = await t.deps.db.execute<{ id: number }>(sql`
      INSERT INTO reviews (user_id, book_id, rating, created_at, updated_at)
      VALUES (${user.id}, ${book.id}, 4, ${stored}, ${stored}) RETURNING id`);
    const res = await t.app.inject({ method: 'GET', url: `/reviews/${result.rows[0]!.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ created_at: wire, updated_at: wire });
  });

  it.each(INSTANTS)('an order created at $stored shows created_at $wire', async ({ stored, wire }) => {
    const user = await createUser(t);
    const book = await createBook(t);
    const order = await insertOrder(t, {
      userId: user.id,
      items: [{ bookId: book.id, quantity: 1, unitPrice: '10.00' }],
      createdAt: stored,
    });
    const res = await t.app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: user.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json().created_at).toBe(wire);
  });

  it.each(INSTANTS)('a wishlist item added at $stored shows added_at $wire', async ({ stored, wire }) => {
    const user = await createUser(t);
    const book = await createBook(t);
    await t.deps.db.execute(
      sql`INSERT INTO wishlist_items (user_id, book_id, added_at) VALUES (${user.id}, ${book.id}, ${stored})`,
    );
    const res = await t.app.inject({ method: 'GET', url: '/wishlist', headers: user.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json().items[0].added_at).toBe(wire);
  });

  it('a timestamp read through a column and written back loses no digit', async () => {
    const user = await createUser(t);
    const [first, second] = [await createBook(t), await createBook(t)];
    await t.deps.db.execute(sql`
      INSERT INTO reviews (user_id, book_id, rating, created_at)
      VALUES (${user.id}, ${first.id}, 4, '2026-03-01 12:34:56.123456+00')`);
    const [read] = await t.deps.db.select().from(reviews).where(eq(reviews.bookId, first.id));
    await t.deps.db
      .insert(reviews)
      .values({ userId: user.id, bookId: second.id, rating: 5, createdAt: read!.createdAt });
    const check = await t.deps.db.execute<{ same: boolean }>(sql`
      SELECT created_at = '2026-03-01 12:34:56.123456+00' AS same FROM reviews WHERE book_id = ${second.id}`);
    expect(check.rows[0]!.same).toBe(true);
  });
});
