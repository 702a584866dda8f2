import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, unique } from 'drizzle-orm/pg-core';
import { timestamptzNow } from '../../db/timestamptz.js';
import { bookIdColumn } from '../books/books.table.js';
import { userIdColumn } from '../users/users.table.js';

export const carts = pgTable(
  'carts',
  {
    id: serial('id').primaryKey(),
    userId: userIdColumn(),
    createdAt: timestamptzNow('created_at'),
  },
  (t) => [unique('uq_carts_user_id').on(t.userId)],
);

export const cartItems = pgTable(
  'cart_items',
  {
    id: serial('id').primaryKey(),
    cartId: integer('cart_id')
      .notNull()
      .references(() => carts.id, { onDelete: 'cascade' }),
    bookId: bookIdColumn(),
    quantity: integer('quantity').notNull().default(1),
    addedAt: timestamptzNow('added_at'),
  },
  (t) => [
    index('ix_cart_items_cart_id').on(t.cartId),
    index('ix_cart_items_book_id').on(t.bookId),
    unique('uq_cart_items_cart_book').on(t.cartId, t.bookId),
    check('ck_cart_items_quantity_range', sql`${t.quantity} BETWEEN 1 AND 999`),
  ],
);
