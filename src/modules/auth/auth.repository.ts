import { and, eq, gt, inArray, isNull, lt, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { emailTokens, refreshTokens } from './auth.table.js';

export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

/** Revokes the still-valid refresh tokens that `match` selects; the number revoked. */
async function revokeValid(tx: DbOrTx, match: SQL, at: Date): Promise<number> {
  const revoked = await tx
    .update(refreshTokens)
    .set({ revokedAt: at })
    .where(and(match, isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return revoked.length;
}

/** Revokes every still-valid refresh token of a user (deactivation, "log out everywhere"). */
export function revokeUserRefreshTokens(tx: DbOrTx, userId: number, at: Date): Promise<number> {
  return revokeValid(tx, eq(refreshTokens.userId, userId), at);
}

export function revokeFamily(tx: DbOrTx, family: string, at: Date): Promise<number> {
  return revokeValid(tx, eq(refreshTokens.tokenFamily, family), at);
}

/** Revokes one token if it is still valid; false when it was already revoked (or unknown). */
export async function revokeToken(tx: DbOrTx, id: number, at: Date): Promise<boolean> {
  return (await revokeValid(tx, eq(refreshTokens.id, id), at)) > 0;
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
