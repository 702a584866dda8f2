import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/helpers.js';
import { normalizeIsbn } from '../modules/books/books.rules.js';
import { createDb, createPool, type Db } from './client.js';
import { SEED_BOOKS, seedCatalog } from './seed.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: ReturnType<typeof createPool>;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool(database.url, 2);
  db = createDb(pool);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

async function snapshot() {
  const result = await db.execute(
    sql`SELECT b.isbn, b.title, b.price, b.stock_quantity, b.updated_at::text, g.name AS genre
        FROM books b LEFT JOIN genres g ON g.id = b.genre_id ORDER BY b.isbn`,
  );
  return result.rows;
}

describe('demo catalog seed', () => {
  it('holds about 50 books across about 10 genres with valid normalised ISBNs, some out of stock', () => {
    expect(SEED_BOOKS.length).toBeGreaterThanOrEqual(45);
    expect(new Set(SEED_BOOKS.map((b) => b[6])).size).toBeGreaterThanOrEqual(8);
    for (const [title, , isbn] of SEED_BOOKS) {
      expect(normalizeIsbn(isbn), title).toEqual({ ok: true, value: isbn });
    }
    expect(new Set(SEED_BOOKS.map((b) => b[2])).size).toBe(SEED_BOOKS.length);
    expect(SEED_BOOKS.filter((b) => b[5] === 0).length).toBeGreaterThan(0);
  });

  it('loads the catalog once and changes nothing when run again', async () => {
    const first = await seedCatalog(db);
    const genreCount = new Set(SEED_BOOKS.map((b) => b[6])).size;
    expect(first).toEqual({
      genres: { total: genreCount, created: genreCount },
      books: { total: SEED_BOOKS.length, created: SEED_BOOKS.length },
    });
    const before = await snapshot();
    expect(before.every((b) => b.genre !== null)).toBe(true);

    const second = await seedCatalog(db);
    expect(second).toEqual({
      genres: { total: genreCount, created: 0 },
      books: { total: SEED_BOOKS.length, created: 0 },
    });
    expect(await snapshot()).toEqual(before);
  });

  it('keeps stock changed after seeding', async () => {
    const isbn = SEED_BOOKS[0]![2];
    await db.execute(sql`UPDATE books SET stock_quantity = 77 WHERE isbn = ${isbn}`);
    await seedCatalog(db);
    const result = await db.execute<{ stock_quantity: number }>(
      sql`SELECT stock_quantity FROM books WHERE isbn = ${isbn}`,
    );
    expect(result.rows[0]!.stock_quantity).toBe(77);
  });
});
