import { type SQL, sql } from 'drizzle-orm';
import {
  check,
  customType,
  date,
  index,
  integer,
  numeric,
  pgTable,
  serial,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { timestamptzNow } from '../../db/timestamptz.js';
import { genres } from '../genres/genres.table.js';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const books = pgTable(
  'books',
  {
    id: serial('id').primaryKey(),
    title: varchar('title', { length: 500 }).notNull(),
    author: varchar('author', { length: 255 }).notNull(),
    price: numeric('price', { precision: 10, scale: 2 }).notNull(),
    isbn: varchar('isbn', { length: 17 }),
    description: text('description'),
    coverImageUrl: varchar('cover_image_url', { length: 2048 }),
    publishDate: date('publish_date', { mode: 'string' }),
    stockQuantity: integer('stock_quantity').notNull().default(0),
    genreId: integer('genre_id').references(() => genres.id),
    createdAt: timestamptzNow('created_at'),
    updatedAt: timestamptzNow('updated_at'),
    // Accents folded (immutable_unaccent, migration 0008): "bronte" finds "Brontë" and the reverse.
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      (): SQL =>
        sql`setweight(to_tsvector('simple', immutable_unaccent(coalesce(${books.title}, ''))), 'A') || setweight(to_tsvector('simple', immutable_unaccent(coalesce(${books.author}, ''))), 'B')`,
    ),
    /** The author with accents folded, for the accent-insensitive `author` filter. */
    authorUnaccented: text('author_unaccented').generatedAlwaysAs(
      (): SQL => sql`immutable_unaccent(${books.author})`,
    ),
  },
  (t) => [
    // Each sort column with the id tiebreak, so that a catalog page is read in index order, not sorted.
    index('ix_books_title').on(t.title, t.id),
    index('ix_books_author').on(t.author),
    uniqueIndex('ix_books_isbn').on(t.isbn),
    index('ix_books_genre_id').on(t.genreId),
    index('ix_books_price').on(t.price, t.id),
    // Newest first is the default for created_at (contract §7.5).
    index('ix_books_created_at').on(t.createdAt.desc().nullsFirst(), t.id),
    index('ix_books_publish_date').on(t.publishDate, t.id),
    index('ix_books_search_vector').using('gin', t.searchVector),
    check('ck_books_price_positive', sql`${t.price} > 0`),
    check('ck_books_stock_non_negative', sql`${t.stockQuantity} >= 0`),
  ],
);

/** `book_id integer NOT NULL REFERENCES books ON DELETE CASCADE`: a row about one book, gone with it. */
export const bookIdColumn = () =>
  integer('book_id')
    .notNull()
    .references(() => books.id, { onDelete: 'cascade' });

export type BookRow = typeof books.$inferSelect;
