import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  check,
  index,
  integer,
  pgTable,
  serial,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { timestamptz, timestamptzNow } from '../../db/timestamptz.js';
import { stockChanges } from '../stock/stock.table.js';
import { orders } from '../orders/orders.table.js';
import { bookIdColumn } from '../books/books.table.js';
import { userIdColumn } from '../users/users.table.js';

/** A pre-booking waits for a restock, is notified by one (and may hold a copy), or is cancelled. */
export const PRE_BOOKING_STATUSES = ['waiting', 'notified', 'cancelled'] as const;
export type PreBookingStatus = (typeof PRE_BOOKING_STATUSES)[number];

/** A hold that still keeps a copy for its reader (the expiry job ends it once hold_expires_at has passed). */
function activeHold(t: {
  status: AnyPgColumn;
  holdExpiresAt: AnyPgColumn;
  holdExpiredAt: AnyPgColumn;
  convertedAt: AnyPgColumn;
}) {
  return sql`${t.status} = 'notified' AND ${t.holdExpiresAt} IS NOT NULL AND ${t.holdExpiredAt} IS NULL AND ${t.convertedAt} IS NULL`;
}

export const preBookings = pgTable(
  'pre_bookings',
  {
    id: serial('id').primaryKey(),
    userId: userIdColumn(),
    bookId: bookIdColumn(),
    status: varchar('status', { length: 20, enum: PRE_BOOKING_STATUSES }).notNull(),
    createdAt: timestamptzNow('created_at'),
    notifiedAt: timestamptz('notified_at'),
    cancelledAt: timestamptz('cancelled_at'),
    // No foreign key: a restock sets it on every notified row (100 000 at once), and the check would cost a lookup
    // per row; stock changes are only ever deleted together with the book, which deletes its pre-bookings too.
    stockChangeId: integer('stock_change_id'),
    // The wave (restock_waves) that last notified the pre-booking; no foreign key, for the same reason.
    waveId: integer('wave_id'),
    convertedOrderId: integer('converted_order_id').references(() => orders.id, { onDelete: 'set null' }),
    convertedAt: timestamptz('converted_at'),
    // The copy held for this reader under the `fifo` policy: until hold_expires_at, unless the hold ends before
    // (the reader buys: converted_at; cancels: status cancelled). hold_expired_at: when an unused hold ended.
    holdExpiresAt: timestamptz('hold_expires_at'),
    holdExpiredAt: timestamptz('hold_expired_at'),
    // Holds of this pre-booking that expired unused, over its whole life (a re-queued reader may get another).
    expiredHolds: integer('expired_holds').notNull().default(0),
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
    // Waiting again after an earlier wave (a re-queue): the rare rows whose earlier in-app notification must be
    // stored before a new wave overwrites wave_id. Rows enter it only by going back to waiting, so a restock's
    // flip (waiting → notified) never maintains it.
    index('ix_pre_bookings_requeued')
      .on(t.bookId)
      .where(sql`${t.status} = 'waiting' AND ${t.waveId} IS NOT NULL`),
    // The active holds of a book (what is held now) and of a reader (at most one per book).
    index('ix_pre_bookings_book_active_holds').on(t.bookId, t.holdExpiresAt).where(activeHold(t)),
    uniqueIndex('uq_pre_bookings_user_book_active_hold').on(t.userId, t.bookId).where(activeHold(t)),
    check(
      'ck_pre_bookings_status',
      sql`${t.status} IN (${sql.raw(PRE_BOOKING_STATUSES.map((s) => `'${s}'`).join(', '))})`,
    ),
    check('ck_pre_bookings_hold_waiting', sql`${t.status} <> 'waiting' OR ${t.holdExpiresAt} IS NULL`),
    check('ck_pre_bookings_hold_expired', sql`${t.holdExpiredAt} IS NULL OR ${t.holdExpiresAt} IS NOT NULL`),
  ],
);

/**
 * One row per wave of alerts: a set of waiting pre-bookings flipped to notified together (a broadcast restock:
 * all of them; a fifo one, a freed hold or a cancel: the first readers in line, one per free copy, each with a
 * copy held until hold_until). The alert's content is stored once here, not once per reader: the e-mails and the in-app
 * notifications of the wave are derived from this row and the pre-bookings carrying its id.
 */
export const restockWaves = pgTable(
  'restock_waves',
  {
    id: serial('id').primaryKey(),
    bookId: bookIdColumn(),
    stockChangeId: integer('stock_change_id').references(() => stockChanges.id, { onDelete: 'set null' }),
    // The book as announced: a later edit of the book does not rewrite an alert already given.
    bookTitle: text('book_title').notNull(),
    bookAuthor: text('book_author').notNull(),
    /** Until when a copy is held for each reader of the wave (null: nothing is held). */
    holdUntil: timestamptz('hold_until'),
    notifiedCount: integer('notified_count').notNull().default(0),
    createdAt: timestamptz('created_at').notNull(),
    /** Set when the fan-out job has split the wave into e-mail batch jobs (a re-run then does nothing). */
    fannedOutAt: timestamptz('fanned_out_at'),
  },
  (t) => [index('ix_restock_waves_book_id').on(t.bookId)],
);

export type RestockWaveRow = typeof restockWaves.$inferSelect;
