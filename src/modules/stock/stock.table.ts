import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, varchar } from 'drizzle-orm/pg-core';
import { timestamptzNow } from '../../db/timestamptz.js';
import { books, bookIdColumn } from '../books/books.table.js';
import { users } from '../users/users.table.js';

export const RESTOCK_POLICIES = ['broadcast', 'fifo'] as const;
export type RestockPolicy = (typeof RESTOCK_POLICIES)[number];

export const MIN_HOLD_SECONDS = 10;
export const MAX_HOLD_SECONDS = 604_800;

/**
 * The restock policy of a book, set by an administrator; a book without a row follows RESTOCK_POLICY and
 * RESTOCK_HOLD_SECONDS. `broadcast` tells every waiting reader at once (the contract); `fifo` tells as many
 * readers as there are free copies, in queue order, and holds one copy for each for `hold_seconds`.
 */
export const restockPolicies = pgTable(
  'restock_policies',
  {
    bookId: integer('book_id')
      .primaryKey()
      .references(() => books.id, { onDelete: 'cascade' }),
    policy: varchar('policy', { length: 20, enum: RESTOCK_POLICIES }).notNull(),
    holdSeconds: integer('hold_seconds').notNull(),
    updatedBy: integer('updated_by').references(() => users.id, { onDelete: 'set null' }),
    updatedAt: timestamptzNow('updated_at'),
  },
  (t) => [
    check('ck_restock_policies_policy', sql`${t.policy} IN ('broadcast', 'fifo')`),
    check(
      'ck_restock_policies_hold_seconds',
      sql`${t.holdSeconds} BETWEEN ${sql.raw(String(MIN_HOLD_SECONDS))} AND ${sql.raw(String(MAX_HOLD_SECONDS))}`,
    ),
  ],
);

/**
 * Every stock change (PATCH /books/{id}/stock, the catalog import, a policy switch that notifies): who changed the
 * stock, from what to what, and whom it notified. Sales are not stock changes (order_items records them).
 */
export const stockChanges = pgTable(
  'stock_changes',
  {
    id: serial('id').primaryKey(),
    bookId: bookIdColumn(),
    changedBy: integer('changed_by').references(() => users.id, { onDelete: 'set null' }),
    oldQuantity: integer('old_quantity').notNull(),
    newQuantity: integer('new_quantity').notNull(),
    notifiedCount: integer('notified_count').notNull().default(0),
    // Copies held for the readers it notified (restock policy `fifo`); 0 on `broadcast`.
    heldCount: integer('held_count').notNull().default(0),
    // The book's restock policy when the change was made.
    policy: varchar('policy', { length: 20, enum: RESTOCK_POLICIES }).notNull().default('broadcast'),
    createdAt: timestamptzNow('created_at'),
  },
  (t) => [index('ix_stock_changes_book_id').on(t.bookId, t.createdAt)],
);
