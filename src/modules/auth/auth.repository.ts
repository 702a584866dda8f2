import { and, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { oauthAccounts, users, type UserRow } from '../users/users.table.js';
import { emailTokens, refreshTokens } from './auth.table.js';

export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

/** Revokes every still-valid refresh token of a user (deactivation, "log out everywhere"). */
export async function revokeUserRefreshTokens(tx: DbOrTx, userId: number, at: Date): Promise<number> {
  const revoked = await tx
    .update(refreshTokens)
    .set({ revokedAt: at })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return revoked.length;
}

export async function revokeFamily(tx: DbOrTx, family: string, at: Date): Promise<number> {
  const revoked = await tx
    .update(refreshTokens)
    .set({ revokedAt: at })
    .where(and(eq(refreshTokens.tokenFamily, family), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return revoked.length;
}

/** Revokes one token if it is still valid; false when it was already revoked (or unknown). */
export async function revokeToken(tx: DbOrTx, id: number, at: Date): Promise<boolean> {
  const revoked = await tx
    .update(refreshTokens)
    .set({ revokedAt: at })
    .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return revoked.length > 0;
}

export async function findRefreshToken(tx: DbOrTx, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  const rows = await tx.select().from(refreshTokens).where(eq(refreshTokens.token, tokenHash)).limit(1);
  return rows[0];
}

export async function insertRefreshToken(
  tx: DbOrTx,
  row: {
    tokenHash: string;
    family: string;
    userId: number;
    expiresAt: Date;
    familyExpiresAt: Date;
  },
): Promise<void> {
  await tx.insert(refreshTokens).values({
    token: row.tokenHash,
    tokenFamily: row.family,
    userId: row.userId,
    expiresAt: row.expiresAt,
    familyExpiresAt: row.familyExpiresAt,
  });
}

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

/**
 * Deletes up to `limit` refresh tokens whose family has ended: such a token can never be used again (refresh
 * answers it as invalid, found or not), whereas the revoked tokens of a live family are kept for reuse detection.
 * Rows locked by a running transaction are left for the next run instead of being waited for.
 */
export async function deleteDeadRefreshTokens(tx: DbOrTx, now: Date, limit: number): Promise<number> {
  const dead = tx
    .select({ id: refreshTokens.id })
    .from(refreshTokens)
    .where(lt(refreshTokens.familyExpiresAt, now))
    .orderBy(refreshTokens.id)
    .limit(limit)
    .for('update', { skipLocked: true });
  const deleted = await tx
    .delete(refreshTokens)
    .where(inArray(refreshTokens.id, dead))
    .returning({ id: refreshTokens.id });
  return deleted.length;
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

export type EmailTokenPurpose = 'verify_email' | 'password_reset';

export async function insertEmailToken(
  tx: DbOrTx,
  row: { userId: number; purpose: EmailTokenPurpose; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await tx.insert(emailTokens).values(row);
}

/** The user of an unused, unexpired token of this purpose. */
export async function findLiveEmailToken(
  tx: DbOrTx,
  purpose: EmailTokenPurpose,
  tokenHash: string,
  now: Date,
): Promise<{ id: number; userId: number } | undefined> {
  const rows = await tx
    .select({ id: emailTokens.id, userId: emailTokens.userId })
    .from(emailTokens)
    .where(
      and(
        eq(emailTokens.tokenHash, tokenHash),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, now),
      ),
    )
    .limit(1);
  return rows[0];
}

/** Marks a token used if it still is usable; false when another request consumed it first (or it expired). */
export async function consumeEmailToken(tx: DbOrTx, id: number, now: Date): Promise<boolean> {
  const rows = await tx
    .update(emailTokens)
    .set({ usedAt: now })
    .where(and(eq(emailTokens.id, id), isNull(emailTokens.usedAt), gt(emailTokens.expiresAt, now)))
    .returning({ id: emailTokens.id });
  return rows.length > 0;
}

/** Ends every unused token of this purpose of a user (a reset supersedes the other reset links). */
export async function consumeUserEmailTokens(
  tx: DbOrTx,
  userId: number,
  purpose: EmailTokenPurpose,
  now: Date,
): Promise<void> {
  await tx
    .update(emailTokens)
    .set({ usedAt: now })
    .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)));
}

/** Deletes up to `limit` tokens that expired before `before` (used or not). */
export async function deleteExpiredEmailTokens(tx: DbOrTx, before: Date, limit: number): Promise<number> {
  const expired = tx
    .select({ id: emailTokens.id })
    .from(emailTokens)
    .where(lt(emailTokens.expiresAt, before))
    .limit(limit)
    .for('update', { skipLocked: true });
  const deleted = await tx
    .delete(emailTokens)
    .where(inArray(emailTokens.id, expired))
    .returning({ id: emailTokens.id });
  return deleted.length;
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
