import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  pgTable,
  serial,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { timestamptz, timestamptzNow } from '../../db/timestamptz.js';
import { userIdColumn } from '../users/users.table.js';

/** Refresh tokens are stored only as SHA-256 hashes (hex) in `token`. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: serial('id').primaryKey(),
    token: varchar('token', { length: 512 }).notNull(),
    tokenFamily: uuid('token_family').notNull(),
    userId: userIdColumn(),
    expiresAt: timestamptz('expires_at').notNull(),
    familyExpiresAt: timestamptz('family_expires_at').notNull(),
    revokedAt: timestamptz('revoked_at'),
    createdAt: timestamptzNow('created_at'),
  },
  (t) => [
    uniqueIndex('ix_refresh_tokens_token').on(t.token),
    index('ix_refresh_tokens_token_family').on(t.tokenFamily),
    index('ix_refresh_tokens_user_id').on(t.userId),
  ],
);

/**
 * Rate-limit and throttle counters shared by every API process: one row per key (e.g. `rl:POST /auth/login:1.2.3.4`,
 * `login-fail:client:<e-mail>:<address>`) counting hits in the fixed window that ends at `reset_at`. Rows are
 * recycled in place when their window has ended and purged by the `rate-limit-purge` job.
 */
export const rateLimitCounters = pgTable(
  'rate_limit_counters',
  {
    key: text('key').primaryKey(),
    count: integer('count').notNull(),
    resetAt: timestamptz('reset_at').notNull(),
  },
  (t) => [index('ix_rate_limit_counters_reset_at').on(t.resetAt)],
);

/**
 * Single-use tokens of the links in account e-mails (address verification, password reset). Only the SHA-256
 * (hex) of a token is stored; the token itself exists only in the e-mail. `used_at` is set when it is consumed
 * (or superseded by a password reset).
 */
export const emailTokens = pgTable(
  'email_tokens',
  {
    id: serial('id').primaryKey(),
    userId: userIdColumn(),
    purpose: varchar('purpose', { length: 20, enum: ['verify_email', 'password_reset'] }).notNull(),
    tokenHash: varchar('token_hash', { length: 64 }).notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
    createdAt: timestamptzNow('created_at'),
  },
  (t) => [
    uniqueIndex('ix_email_tokens_token_hash').on(t.tokenHash),
    index('ix_email_tokens_user_id').on(t.userId),
    index('ix_email_tokens_expires_at').on(t.expiresAt),
    check('ck_email_tokens_purpose', sql`${t.purpose} IN ('verify_email', 'password_reset')`),
  ],
);
