import { index, integer, pgTable, serial, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { users } from '../users/users.table.js';

/** Refresh tokens are stored only as SHA-256 hashes (hex) in `token`. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: serial('id').primaryKey(),
    token: varchar('token', { length: 512 }).notNull(),
    tokenFamily: uuid('token_family').notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    familyExpiresAt: timestamp('family_expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('ix_refresh_tokens_token').on(t.token),
    index('ix_refresh_tokens_token_family').on(t.tokenFamily),
    index('ix_refresh_tokens_user_id').on(t.userId),
  ],
);
