import { sql } from 'drizzle-orm';
import { index, integer, pgTable, serial, unique } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../db/timestamptz.js';
import { books } from '../books/books.table.js';
import { users } from '../users/users.table.js';

export const wishlistItems = pgTable(
  'wishlist_items',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    bookId: integer('book_id')
      .notNull()
      .references(() => books.id, { onDelete: 'cascade' }),
    addedAt: timestamptz('added_at')
      .notNull()
      .default(sql`now()`),
  },
  (t) => [
    index('ix_wishlist_items_user_id').on(t.userId),
    index('ix_wishlist_items_book_id').on(t.bookId),
    unique('uq_wishlist_items_user_book').on(t.userId, t.bookId),
  ],
);
