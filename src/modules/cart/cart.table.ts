import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, unique } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../db/timestamptz.js';
import { books } from '../books/books.table.js';
import { users } from '../users/users.table.js';

export const carts = pgTable(
  'carts',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamptz('created_at')
      .notNull()
      .default(sql`now()`),
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
    bookId: integer('book_id')
      .notNull()
      .references(() => books.id, { onDelete: 'cascade' }),
    quantity: integer('quantity').notNull().default(1),
    addedAt: timestamptz('added_at')
      .notNull()
      .default(sql`now()`),
  },
  (t) => [
    index('ix_cart_items_cart_id').on(t.cartId),
    index('ix_cart_items_book_id').on(t.bookId),
    unique('uq_cart_items_cart_book').on(t.cartId, t.bookId),
    check('ck_cart_items_quantity_range', sql`${t.quantity} BETWEEN 1 AND 999`),
  ],
);
