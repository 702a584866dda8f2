import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { timestamptz, timestamptzNow } from '../../db/timestamptz.js';
import { bookIdColumn } from '../books/books.table.js';
import { userIdColumn } from '../users/users.table.js';

export const reviews = pgTable(
  'reviews',
  {
    id: serial('id').primaryKey(),
    userId: userIdColumn(),
    bookId: bookIdColumn(),
    rating: integer('rating').notNull(),
    text: varchar('text', { length: 2000 }),
    createdAt: timestamptzNow('created_at'),
    updatedAt: timestamptzNow('updated_at'),
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
