import { and, asc, count, desc, eq, getTableColumns, gte, ilike, isNull, lte, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../db/client.js';
import { reviews } from '../reviews/reviews.table.js';
import { escapeLike } from './books.rules.js';
import type { BookSort } from './books.schemas.js';
import { books, type BookRow } from './books.table.js';

const { searchVector: _searchVector, ...bookColumns } = getTableColumns(books);

/** A book row without its search vector (what the API reads). */
export type Book = Omit<BookRow, 'searchVector'>;
export type NewBook = typeof books.$inferInsert;
export type BookPatch = Partial<
  Pick<
    NewBook,
    'title' | 'author' | 'price' | 'isbn' | 'genreId' | 'description' | 'coverImageUrl' | 'publishDate'
  >
>;

export async function findBookById(db: DbOrTx, id: number): Promise<BookRow | undefined> {
  const [row] = await db.select().from(books).where(eq(books.id, id));
  return row;
}

/** The book with the sum and count of its live (not soft-deleted) review ratings. */
export async function findBookWithRatings(db: DbOrTx, id: number) {
  const live = and(eq(reviews.bookId, books.id), isNull(reviews.deletedAt));
  const [row] = await db
    .select({
      ...bookColumns,
      ratingSum:
        sql<number>`(SELECT coalesce(sum(${reviews.rating}), 0) FROM ${reviews} WHERE ${live})`.mapWith(
          Number,
        ),
      reviewCount: sql<number>`(SELECT count(*) FROM ${reviews} WHERE ${live})`.mapWith(Number),
    })
    .from(books)
    .where(eq(books.id, id));
  return row;
}

export async function insertBook(db: DbOrTx, values: NewBook): Promise<Book> {
  const [row] = await db.insert(books).values(values).returning(bookColumns);
  return row!;
}

/** Applies the given columns and refreshes updated_at; undefined when the book does not exist. */
export async function updateBook(db: DbOrTx, id: number, patch: BookPatch): Promise<Book | undefined> {
  const [row] = await db
    .update(books)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(books.id, id))
    .returning(bookColumns);
  return row;
}

export async function deleteBook(db: DbOrTx, id: number): Promise<boolean> {
  const rows = await db.delete(books).where(eq(books.id, id)).returning({ id: books.id });
  return rows.length > 0;
}

/** Case-insensitive substring match; a NUL cannot occur in stored text, so it matches nothing. */
function authorContains(author: string) {
  if (author.includes('\u0000')) return sql`false`;
  return ilike(books.author, `%${escapeLike(author)}%`);
}

export interface BookSearch {
  /** A `to_tsquery('simple', …)` expression; results are then ranked by relevance. */
  tsquery?: string;
  genreId?: number;
  author?: string;
  minPrice?: string;
  maxPrice?: string;
  /** Ignored when `tsquery` is set. */
  sort: BookSort;
  direction: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/** One page of matching books and the number of all matches (two queries, run side by side). */
export async function searchBooks(db: DbOrTx, s: BookSearch): Promise<{ rows: Book[]; total: number }> {
  const query = s.tsquery === undefined ? undefined : sql`to_tsquery('simple', ${s.tsquery})`;
  const where = and(
    query && sql`${books.searchVector} @@ ${query}`,
    s.genreId === undefined ? undefined : eq(books.genreId, s.genreId),
    s.author === undefined ? undefined : authorContains(s.author),
    s.minPrice === undefined ? undefined : gte(books.price, s.minPrice),
    s.maxPrice === undefined ? undefined : lte(books.price, s.maxPrice),
  );

  const dir = s.direction === 'asc' ? asc : desc;
  let page;
  if (query) {
    page = db
      .select(bookColumns)
      .from(books)
      .where(where)
      .orderBy(desc(sql`ts_rank(${books.searchVector}, ${query})`), asc(books.id));
  } else if (s.sort === 'avg_rating') {
    const ratings = db
      .select({ bookId: reviews.bookId, avgRating: sql<string>`avg(${reviews.rating})`.as('avg_rating') })
      .from(reviews)
      .where(isNull(reviews.deletedAt))
      .groupBy(reviews.bookId)
      .as('ratings');
    page = db
      .select(bookColumns)
      .from(books)
      .leftJoin(ratings, eq(ratings.bookId, books.id))
      .where(where)
      .orderBy(sql`${ratings.avgRating} ${sql.raw(s.direction)} NULLS LAST`, asc(books.id));
  } else {
    const column: Record<Exclude<BookSort, 'avg_rating'>, AnyPgColumn> = {
      title: books.title,
      price: books.price,
      date: books.publishDate,
      created_at: books.createdAt,
    };
    page = db.select(bookColumns).from(books).where(where).orderBy(dir(column[s.sort]), asc(books.id));
  }

  const [rows, [counted]] = await Promise.all([
    page.limit(s.limit).offset(s.offset),
    db.select({ total: count() }).from(books).where(where),
  ]);
  return { rows, total: counted?.total ?? 0 };
}
