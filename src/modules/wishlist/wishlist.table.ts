import { index, integer, pgTable, serial, timestamp, unique } from 'drizzle-orm/pg-core';
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
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('ix_wishlist_items_user_id').on(t.userId),
    index('ix_wishlist_items_book_id').on(t.bookId),
    unique('uq_wishlist_items_user_book').on(t.userId, t.bookId),
  ],
);
