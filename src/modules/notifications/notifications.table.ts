import { index, integer, jsonb, pgTable, serial, text, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { timestamptz, timestamptzNow } from '../../db/timestamptz.js';
import { sql } from 'drizzle-orm';
import { preBookings } from '../prebooks/prebooks.table.js';
import { userIdColumn } from '../users/users.table.js';

/**
 * In-app notifications (the restock alert, for now). A restock does not write one row per reader: the row of a
 * pre-booking notified by a wave is stored on first read (see materializeRestockNotifications).
 */
export const notifications = pgTable(
  'notifications',
  {
    id: serial('id').primaryKey(),
    userId: userIdColumn(),
    type: varchar('type', { length: 50 }).notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    // No foreign key, for the same reason as pre_bookings.stock_change_id: one restock inserts a row per waiting
    // reader. A restock notification goes with its pre-booking (cascade), which goes with the book.
    bookId: integer('book_id'),
    preBookingId: integer('pre_booking_id').references(() => preBookings.id, { onDelete: 'cascade' }),
    // The restock wave the notification announces; with pre_booking_id, what a lazily stored row derives from.
    waveId: integer('wave_id'),
    data: jsonb('data').notNull().default({}),
    createdAt: timestamptzNow('created_at'),
    readAt: timestamptz('read_at'),
  },
  (t) => [
    index('ix_notifications_user_id').on(t.userId, t.id),
    index('ix_notifications_user_unread')
      .on(t.userId)
      .where(sql`${t.readAt} IS NULL`),
    uniqueIndex('uq_notifications_pre_booking_wave').on(t.preBookingId, t.waveId),
  ],
);

/** Single-use tickets that let a browser's EventSource open the notification stream. */
export const notificationStreamTickets = pgTable(
  'notification_stream_tickets',
  {
    id: serial('id').primaryKey(),
    tokenHash: varchar('token_hash', { length: 64 }).notNull(),
    userId: userIdColumn(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
    createdAt: timestamptzNow('created_at'),
  },
  (t) => [
    uniqueIndex('uq_notification_stream_tickets_token_hash').on(t.tokenHash),
    index('ix_notification_stream_tickets_user_id').on(t.userId),
    index('ix_notification_stream_tickets_expires_at').on(t.expiresAt),
  ],
);
