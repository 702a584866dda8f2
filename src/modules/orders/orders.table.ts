import { sql } from 'drizzle-orm';
import { check, index, integer, numeric, pgTable, serial, unique, varchar } from 'drizzle-orm/pg-core';
import { timestamptzNow } from '../../db/timestamptz.js';
import { books } from '../books/books.table.js';
import { userIdColumn } from '../users/users.table.js';

export const orders = pgTable(
  'orders',
  {
    id: serial('id').primaryKey(),
    userId: userIdColumn(),
    status: varchar('status', { length: 20, enum: ['confirmed', 'payment_failed'] })
      .notNull()
      .default('confirmed'),
    idempotencyKey: varchar('idempotency_key', { length: 255 }),
    createdAt: timestamptzNow('created_at'),
  },
  (t) => [
    index('ix_orders_user_id').on(t.userId, t.createdAt),
    index('ix_orders_created_at').on(t.createdAt),
    // The orders whose Idempotency-Key still replays them: what the periodic purge reads (small, whatever the
    // number of orders).
    index('ix_orders_idempotency_key_created_at')
      .on(t.createdAt)
      .where(sql`${t.idempotencyKey} IS NOT NULL`),
    unique('uq_orders_user_idempotency_key').on(t.userId, t.idempotencyKey),
    check('ck_orders_status', sql`${t.status} IN ('confirmed', 'payment_failed')`),
  ],
);

export const orderItems = pgTable(
  'order_items',
  {
    id: serial('id').primaryKey(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    bookId: integer('book_id').references(() => books.id, { onDelete: 'set null' }),
    quantity: integer('quantity').notNull(),
    unitPrice: numeric('unit_price', { precision: 10, scale: 2 }).notNull(),
  },
  (t) => [
    index('ix_order_items_order_id').on(t.orderId),
    index('ix_order_items_book_id').on(t.bookId),
    check('ck_order_items_quantity_positive', sql`${t.quantity} > 0`),
  ],
);
