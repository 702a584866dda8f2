import { and, count, desc, eq, gt, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { preBookings } from '../prebooks/prebooks.table.js';
import { users } from '../users/users.table.js';
import { notifications, notificationStreamTickets } from './notifications.table.js';

/** The PostgreSQL channel on which every API process hears that notifications were committed. */
export const NOTIFICATION_CHANNEL = 'bookstore_notifications';

export type NotificationRow = typeof notifications.$inferSelect;

/**
 * One in-app notification per pre-booking notified by the stock change, in one INSERT … SELECT, then one
 * pg_notify for the whole batch (delivered by PostgreSQL at commit, never for a rolled-back change). The payload
 * names the stock change only: with many recipients a list of ids would exceed the 8000-byte payload limit.
 */
export async function createRestockNotifications(
  tx: DbOrTx,
  opts: {
    bookId: number;
    stockChangeId: number;
    bookTitle: string;
    bookAuthor: string;
    bookUrl: string;
    at: Date;
  },
): Promise<number> {
  const title = `'${opts.bookTitle}' is back in stock`;
  const body = `${opts.bookTitle} by ${opts.bookAuthor} is available again. Order it before it sells out.`;
  const data = JSON.stringify({
    book_id: opts.bookId,
    stock_change_id: opts.stockChangeId,
    url: opts.bookUrl,
  });
  const result = await tx.execute<{ n: number }>(sql`
    WITH created AS (
      INSERT INTO ${notifications} (user_id, type, title, body, book_id, pre_booking_id, data, created_at)
      SELECT p.user_id, 'restock', ${title}, ${body}, p.book_id, p.id, ${data}::jsonb,
             ${opts.at.toISOString()}::timestamptz
      FROM ${preBookings} p
      WHERE p.book_id = ${opts.bookId} AND p.stock_change_id = ${opts.stockChangeId}
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM created`);
  const created = result.rows[0]?.n ?? 0;
  if (created > 0) {
    await tx.execute(
      sql`SELECT pg_notify(${NOTIFICATION_CHANNEL}, ${JSON.stringify({ stock_change_id: opts.stockChangeId })})`,
    );
  }
  return created;
}

/** The notifications of a batch (one stock change) for the given users: what a listening process pushes. */
export async function findBatchNotifications(
  db: DbOrTx,
  opts: { stockChangeId: number; userIds: number[] },
): Promise<NotificationRow[]> {
  if (opts.userIds.length === 0) return [];
  return db
    .select()
    .from(notifications)
    .where(
      and(
        inArray(notifications.userId, opts.userIds),
        sql`${notifications.data} ->> 'stock_change_id' = ${String(opts.stockChangeId)}`,
      ),
    )
    .orderBy(notifications.id);
}

/** A user's notifications after a given id (catching up after a reconnect or a Last-Event-ID). */
export async function findNotificationsAfter(
  db: DbOrTx,
  opts: { userId: number; afterId: number; limit: number },
): Promise<NotificationRow[]> {
  return db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, opts.userId), gt(notifications.id, opts.afterId)))
    .orderBy(notifications.id)
    .limit(opts.limit);
}

export async function latestNotificationId(db: DbOrTx, userId: number): Promise<number> {
  const [row] = await db
    .select({ id: sql<number | null>`max(${notifications.id})` })
    .from(notifications)
    .where(eq(notifications.userId, userId));
  return row?.id ?? 0;
}

export async function listNotifications(
  db: DbOrTx,
  opts: { userId: number; unreadOnly: boolean; limit: number; offset: number },
): Promise<{ rows: NotificationRow[]; total: number; unread: number }> {
  const mine = eq(notifications.userId, opts.userId);
  const where: SQL | undefined = opts.unreadOnly ? and(mine, isNull(notifications.readAt)) : mine;
  const [rows, totals, unread] = await Promise.all([
    db
      .select()
      .from(notifications)
      .where(where)
      .orderBy(desc(notifications.id))
      .limit(opts.limit)
      .offset(opts.offset),
    db.select({ n: count() }).from(notifications).where(where),
    countUnread(db, opts.userId),
  ]);
  return { rows, total: totals[0]?.n ?? 0, unread };
}

export async function countUnread(db: DbOrTx, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  return row?.n ?? 0;
}

/** Marks one of the user's notifications read (keeping the first read time); undefined if not theirs. */
export async function markRead(
  db: DbOrTx,
  opts: { userId: number; id: number; at: Date },
): Promise<NotificationRow | undefined> {
  const [row] = await db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, ${opts.at.toISOString()}::timestamptz)` })
    .where(and(eq(notifications.id, opts.id), eq(notifications.userId, opts.userId)))
    .returning();
  return row;
}

export async function markAllRead(db: DbOrTx, opts: { userId: number; at: Date }): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: opts.at })
    .where(and(eq(notifications.userId, opts.userId), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return rows.length;
}

const EXPIRED_TICKETS_PURGED_PER_ISSUE = 100;

export async function insertStreamTicket(
  db: DbOrTx,
  opts: { userId: number; tokenHash: string; expiresAt: Date; at: Date },
): Promise<void> {
  // Tickets are good for one use within 60 seconds; the rest is purged here so that nothing accumulates: the
  // user's spent and expired tickets, and a bounded batch of anyone's expired ones (skipping rows another issuer
  // is already deleting).
  await db
    .delete(notificationStreamTickets)
    .where(
      and(
        eq(notificationStreamTickets.userId, opts.userId),
        or(isNotNull(notificationStreamTickets.usedAt), lt(notificationStreamTickets.expiresAt, opts.at)),
      ),
    );
  await db
    .delete(notificationStreamTickets)
    .where(
      inArray(
        notificationStreamTickets.id,
        db
          .select({ id: notificationStreamTickets.id })
          .from(notificationStreamTickets)
          .where(lt(notificationStreamTickets.expiresAt, opts.at))
          .orderBy(notificationStreamTickets.expiresAt)
          .limit(EXPIRED_TICKETS_PURGED_PER_ISSUE)
          .for('update', { skipLocked: true }),
      ),
    );
  await db.insert(notificationStreamTickets).values({
    userId: opts.userId,
    tokenHash: opts.tokenHash,
    expiresAt: opts.expiresAt,
    createdAt: opts.at,
  });
}

/** Spends a ticket: the one statement that succeeds at most once per ticket. The user id, or undefined. */
export async function consumeStreamTicket(
  db: DbOrTx,
  opts: { tokenHash: string; at: Date },
): Promise<number | undefined> {
  const [row] = await db
    .update(notificationStreamTickets)
    .set({ usedAt: opts.at })
    .where(
      and(
        eq(notificationStreamTickets.tokenHash, opts.tokenHash),
        isNull(notificationStreamTickets.usedAt),
        gt(notificationStreamTickets.expiresAt, opts.at),
      ),
    )
    .returning({ userId: notificationStreamTickets.userId });
  return row?.userId;
}

export async function findAccount(db: DbOrTx, userId: number) {
  const [row] = await db
    .select({ id: users.id, email: users.email, role: users.role, isActive: users.isActive })
    .from(users)
    .where(eq(users.id, userId));
  return row;
}

/** Which of the given accounts exist and are active. */
export async function activeUserIds(db: DbOrTx, userIds: number[]): Promise<number[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(and(inArray(users.id, userIds), eq(users.isActive, true)));
  return rows.map((r) => r.id);
}
