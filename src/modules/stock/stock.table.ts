import { sql } from 'drizzle-orm';
import { check, integer, pgTable, varchar } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../db/timestamptz.js';
import { books } from '../books/books.table.js';
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
    updatedAt: timestamptz('updated_at')
      .notNull()
      .default(sql`now()`),
  },
  (t) => [
    check('ck_restock_policies_policy', sql`${t.policy} IN ('broadcast', 'fifo')`),
    check(
      'ck_restock_policies_hold_seconds',
      sql`${t.holdSeconds} BETWEEN ${sql.raw(String(MIN_HOLD_SECONDS))} AND ${sql.raw(String(MAX_HOLD_SECONDS))}`,
    ),
  ],
);
