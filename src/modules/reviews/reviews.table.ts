import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../db/timestamptz.js';
import { books } from '../books/books.table.js';
import { users } from '../users/users.table.js';

export const reviews = pgTable(
  'reviews',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    bookId: integer('book_id')
      .notNull()
      .references(() => books.id, { onDelete: 'cascade' }),
    rating: integer('rating').notNull(),
    text: varchar('text', { length: 2000 }),
    createdAt: timestamptz('created_at')
      .notNull()
      .default(sql`now()`),
    updatedAt: timestamptz('updated_at')
      .notNull()
      .default(sql`now()`),
    deletedAt: timestamptz('deleted_at'),
  },
  (t) => [
    index('ix_reviews_user_id').on(t.userId),
    index('ix_reviews_book_id').on(t.bookId, t.createdAt),
    // One live review per user and book (contract §7.7): soft-deleted rows no longer block a new one.
    uniqueIndex('uq_reviews_user_book')
      .on(t.userId, t.bookId)
      .where(sql`${t.deletedAt} IS NULL`),
    check('ck_reviews_rating_range', sql`${t.rating} >= 1 AND ${t.rating} <= 5`),
  ],
);
