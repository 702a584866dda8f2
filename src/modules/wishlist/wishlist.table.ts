import { index, pgTable, serial, unique } from 'drizzle-orm/pg-core';
import { timestamptzNow } from '../../db/timestamptz.js';
import { bookIdColumn } from '../books/books.table.js';
import { userIdColumn } from '../users/users.table.js';

export const wishlistItems = pgTable(
  'wishlist_items',
  {
    id: serial('id').primaryKey(),
    userId: userIdColumn(),
    bookId: bookIdColumn(),
    addedAt: timestamptzNow('added_at'),
  },
  (t) => [
    index('ix_wishlist_items_user_id').on(t.userId),
    index('ix_wishlist_items_book_id').on(t.bookId),
    unique('uq_wishlist_items_user_book').on(t.userId, t.bookId),
  ],
);
