import { and, count, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { type UserRow, users } from './users.table.js';

export interface UserFilter {
  role?: 'user' | 'admin';
  isActive?: boolean;
}

export async function listUsers(
  db: DbOrTx,
  filter: UserFilter,
  limit: number,
  offset: number,
): Promise<{ rows: UserRow[]; total: number }> {
  const where = and(
    filter.role === undefined ? undefined : eq(users.role, filter.role),
    filter.isActive === undefined ? undefined : eq(users.isActive, filter.isActive),
  );
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(limit)
      .offset(offset),
    db.select({ total: count() }).from(users).where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

export async function lockUser(tx: DbOrTx, userId: number): Promise<UserRow | undefined> {
  const rows = await tx.select().from(users).where(eq(users.id, userId)).for('no key update');
  return rows[0];
}

export async function setUserActive(
  db: DbOrTx,
  userId: number,
  isActive: boolean,
): Promise<UserRow | undefined> {
  const rows = await db.update(users).set({ isActive }).where(eq(users.id, userId)).returning();
  return rows[0];
}
