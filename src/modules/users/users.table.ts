import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  serial,
  unique,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { timestamptz, timestamptzNow } from '../../db/timestamptz.js';

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    email: varchar('email', { length: 255 }).notNull(),
    hashedPassword: varchar('hashed_password', { length: 255 }),
    role: varchar('role', { length: 10, enum: ['user', 'admin'] })
      .notNull()
      .default('user'),
    isActive: boolean('is_active').notNull().default(true),
    /** When the owner proved control of the address (verification link, password reset, Google); null: never. */
    emailVerifiedAt: timestamptz('email_verified_at'),
    createdAt: timestamptzNow('created_at'),
  },
  (t) => [
    // E-mail addresses are unique regardless of case (contract §7.15).
    uniqueIndex('ix_users_email').on(sql`lower(${t.email})`),
    index('ix_users_created_at').on(t.createdAt, t.id),
    check('ck_users_role', sql`${t.role} IN ('user', 'admin')`),
  ],
);

/** `user_id integer NOT NULL REFERENCES users ON DELETE CASCADE`: a row that belongs to one account. */
export const userIdColumn = () =>
  integer('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' });

export const oauthAccounts = pgTable(
  'oauth_accounts',
  {
    id: serial('id').primaryKey(),
    userId: userIdColumn(),
    oauthProvider: varchar('oauth_provider', { length: 50 }).notNull(),
    oauthAccountId: varchar('oauth_account_id', { length: 255 }).notNull(),
    createdAt: timestamptzNow('created_at'),
  },
  (t) => [
    index('ix_oauth_accounts_user_id').on(t.userId),
    unique('uq_oauth_provider_account').on(t.oauthProvider, t.oauthAccountId),
  ],
);

export type UserRow = typeof users.$inferSelect;
