import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { oauthAccounts, users, type UserRow } from './users.table.js';

/**
 * The users module's entry points for the account rows that sign-in and account e-mails read and write (create
 * an account, its password hash, verified address, role and linked identities), each in the caller's transaction:
 * the auth module calls these instead of writing `users` and `oauth_accounts` itself.
 */

/** Case-insensitive lookup (contract §7.15); served by the unique index on lower(email). */
export async function findUserByEmail(tx: DbOrTx, email: string): Promise<UserRow | undefined> {
  const rows = await tx
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`)
    .limit(1);
  return rows[0];
}

export async function findUserById(tx: DbOrTx, id: number): Promise<UserRow | undefined> {
  const rows = await tx.select().from(users).where(eq(users.id, id)).limit(1);
  return rows[0];
}

/**
 * Locks the user row before any of the user's refresh tokens are touched: every such transaction (login, Google
 * sign-in, refresh, deactivation) takes the user first, so they queue on it instead of deadlocking on the tokens,
 * and a session cannot be created while a deactivation of the user is in progress.
 */
export async function lockUser(
  tx: DbOrTx,
  id: number,
  strength: 'share' | 'no key update',
): Promise<UserRow | undefined> {
  const rows = await tx.select().from(users).where(eq(users.id, id)).for(strength);
  return rows[0];
}

/** Replaces a password hash only if it is still the one that was verified (a concurrent change wins). */
export async function replacePasswordHash(
  tx: DbOrTx,
  id: number,
  previous: string,
  next: string,
): Promise<boolean> {
  const rows = await tx
    .update(users)
    .set({ hashedPassword: next })
    .where(and(eq(users.id, id), eq(users.hashedPassword, previous)))
    .returning({ id: users.id });
  return rows.length > 0;
}

/** Inserts an account; undefined when the e-mail is already taken (in any case). */
export async function insertUser(
  tx: DbOrTx,
  row: { email: string; hashedPassword: string | null; role?: 'user' | 'admin'; emailVerifiedAt?: Date },
): Promise<UserRow | undefined> {
  const rows = await tx
    .insert(users)
    .values({
      email: row.email,
      hashedPassword: row.hashedPassword,
      role: row.role ?? 'user',
      emailVerifiedAt: row.emailVerifiedAt ?? null,
    })
    // The only unique key a new row can hit is ix_users_email (lower(email)).
    .onConflictDoNothing()
    .returning();
  return rows[0];
}

export async function setUserRole(tx: DbOrTx, id: number, role: 'user' | 'admin'): Promise<void> {
  await tx.update(users).set({ role }).where(eq(users.id, id));
}

export async function findOAuthUserId(
  tx: DbOrTx,
  provider: string,
  accountId: string,
): Promise<number | undefined> {
  const rows = await tx
    .select({ userId: oauthAccounts.userId })
    .from(oauthAccounts)
    .where(and(eq(oauthAccounts.oauthProvider, provider), eq(oauthAccounts.oauthAccountId, accountId)))
    .limit(1);
  return rows[0]?.userId;
}

/** Links an external identity to a user; false when that identity is already linked (to anyone). */
export async function insertOAuthAccount(
  tx: DbOrTx,
  row: { userId: number; provider: string; accountId: string },
): Promise<boolean> {
  const rows = await tx
    .insert(oauthAccounts)
    .values({ userId: row.userId, oauthProvider: row.provider, oauthAccountId: row.accountId })
    .onConflictDoNothing({ target: [oauthAccounts.oauthProvider, oauthAccounts.oauthAccountId] })
    .returning({ id: oauthAccounts.id });
  return rows.length > 0;
}

/** Records that the owner proved control of the address (the first proof's time is kept). */
export async function markEmailVerified(tx: DbOrTx, userId: number, at: Date): Promise<void> {
  await tx
    .update(users)
    .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${at.toISOString()}::timestamptz)` })
    .where(eq(users.id, userId));
}

export async function setPasswordHash(
  tx: DbOrTx,
  userId: number,
  hashedPassword: string | null,
): Promise<void> {
  await tx.update(users).set({ hashedPassword }).where(eq(users.id, userId));
}
