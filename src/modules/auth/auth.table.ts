import { sql } from 'drizzle-orm';
import { index, integer, pgTable, serial, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../db/timestamptz.js';
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
    expiresAt: timestamptz('expires_at').notNull(),
    familyExpiresAt: timestamptz('family_expires_at').notNull(),
    revokedAt: timestamptz('revoked_at'),
    createdAt: timestamptz('created_at')
      .notNull()
      .default(sql`now()`),
  },
  (t) => [
    uniqueIndex('ix_refresh_tokens_token').on(t.token),
    index('ix_refresh_tokens_token_family').on(t.tokenFamily),
    index('ix_refresh_tokens_user_id').on(t.userId),
  ],
);
