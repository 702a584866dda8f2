import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../db/timestamptz.js';
import { books } from '../books/books.table.js';
import { orders } from '../orders/orders.table.js';
import { users } from '../users/users.table.js';

export const preBookings = pgTable(
  'pre_bookings',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    bookId: integer('book_id')
      .notNull()
      .references(() => books.id, { onDelete: 'cascade' }),
    status: varchar('status', { length: 20, enum: ['waiting', 'notified', 'cancelled'] }).notNull(),
    createdAt: timestamptz('created_at')
      .notNull()
      .default(sql`now()`),
    notifiedAt: timestamptz('notified_at'),
    cancelledAt: timestamptz('cancelled_at'),
    // No foreign key: a restock sets it on every notified row (100 000 at once), and the check would cost a lookup
    // per row; stock changes are only ever deleted together with the book, which deletes its pre-bookings too.
    stockChangeId: integer('stock_change_id'),
    convertedOrderId: integer('converted_order_id').references(() => orders.id, { onDelete: 'set null' }),
    convertedAt: timestamptz('converted_at'),
  },
  (t) => [
    index('ix_pre_bookings_user_id').on(t.userId),
    index('ix_pre_bookings_book_id').on(t.bookId),
    uniqueIndex('uq_pre_bookings_user_book_waiting')
      .on(t.userId, t.bookId)
      .where(sql`${t.status} = 'waiting'`),
    // Queue order among the waiting pre-bookings of a book.
    index('ix_pre_bookings_book_waiting_queue')
      .on(t.bookId, t.createdAt, t.id)
      .where(sql`${t.status} = 'waiting'`),
    check('ck_pre_bookings_status', sql`${t.status} IN ('waiting', 'notified', 'cancelled')`),
  ],
);
