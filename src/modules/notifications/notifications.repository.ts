import { and, count, desc, eq, gt, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { preBookings, restockWaves } from '../prebooks/prebooks.table.js';
import { users } from '../users/users.table.js';
import { notifications, notificationStreamTickets } from './notifications.table.js';

/** The PostgreSQL channel on which every API process hears that notifications were committed. */
export const NOTIFICATION_CHANNEL = 'bookstore_notifications';

export type NotificationRow = typeof notifications.$inferSelect;

/**
 * Announces a committed wave of restock alerts to every API process (pg_notify is delivered at commit, never for
 * a rolled-back change). The payload names the wave only: a list of recipients would exceed the 8000-byte limit.
 */
export async function announceWave(tx: DbOrTx, opts: { waveId: number }): Promise<void> {
  await tx.execute(
    sql`SELECT pg_notify(${NOTIFICATION_CHANNEL}, ${JSON.stringify({ wave_id: opts.waveId })})`,
  );
}

/** A timestamptz as the API writes datetimes: UTC with `Z`, microseconds only when not zero. */
const isoUtc = (column: SQL) => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
  || CASE WHEN extract(microseconds FROM ${column})::bigint % 1000000 = 0 THEN 'Z'
          ELSE '.' || to_char(${column} AT TIME ZONE 'UTC', 'US') || 'Z' END`;

/**
 * Stores the restock notifications not stored yet of the pre-bookings matching `scope` (an SQL condition on `p`,
 * the pre-bookings): one per pre-booking and wave, derived from the wave's row (the book as announced, the time
 * of the wave, and until when a copy is held when the wave holds one). A restock writes none of them: a wave of 100 000 readers costs nothing until a reader looks, and
 * then that reader's rows. Rows are inserted in the order of the waves, so ids grow with the time of the alert;
 * concurrent callers store each row once (the unique index), and an id is final once stored.
 */
async function materializeRestockNotifications(db: DbOrTx, scope: SQL, storeUrl: string): Promise<void> {
  await db.execute(sql`
    INSERT INTO ${notifications} (user_id, type, title, body, book_id, pre_booking_id, wave_id, data, created_at)
    SELECT p.user_id, 'restock',
           '''' || w.book_title || ''' is back in stock',
           CASE WHEN w.hold_until IS NULL
             THEN w.book_title || ' by ' || w.book_author || ' is available again. Order it before it sells out.'
             ELSE w.book_title || ' by ' || w.book_author || ' is available again. A copy is held for you until '
                  || to_char(w.hold_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
                  || ' UTC; after that it goes to the next reader in line.'
           END,
           w.book_id, p.id, w.id,
           jsonb_build_object('book_id', w.book_id, 'stock_change_id', w.stock_change_id,
                              'url', ${storeUrl}::text || '/books/' || w.book_id)
             || CASE WHEN w.hold_until IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('hold_expires_at', ${isoUtc(sql`w.hold_until`)}) END,
           w.created_at
    FROM ${preBookings} p
    JOIN ${restockWaves} w ON w.id = p.wave_id
    WHERE ${scope}
      AND NOT EXISTS (SELECT 1 FROM ${notifications} n WHERE n.pre_booking_id = p.id AND n.wave_id = p.wave_id)
    ORDER BY w.created_at, w.id, p.id
    ON CONFLICT (pre_booking_id, wave_id) DO NOTHING`);
}

/** Stores the user's pending restock notifications: every read of a user's notifications starts with this. */
export function materializeForUser(db: DbOrTx, opts: { userId: number; storeUrl: string }): Promise<void> {
  return materializeRestockNotifications(
    db,
    sql`p.user_id = ${opts.userId} AND p.wave_id IS NOT NULL`,
    opts.storeUrl,
  );
}

/**
 * Stores the pending notifications of the book's re-queued pre-bookings (waiting again after an earlier wave)
 * before a new wave overwrites their wave_id; on ix_pre_bookings_requeued, so free when there are none.
 */
export function materializeRequeued(db: DbOrTx, opts: { bookId: number; storeUrl: string }): Promise<void> {
  return materializeRestockNotifications(
    db,
    sql`p.book_id = ${opts.bookId} AND p.status = 'waiting' AND p.wave_id IS NOT NULL`,
    opts.storeUrl,
  );
}

/** The notifications of a wave for the given users (stored first if need be): what a listening process pushes. */
export async function findWaveNotifications(
  db: DbOrTx,
  opts: { waveId: number; userIds: number[]; storeUrl: string },
): Promise<NotificationRow[]> {
  if (opts.userIds.length === 0) return [];
  await materializeRestockNotifications(
    db,
    sql`p.wave_id = ${opts.waveId} AND p.user_id = ANY(${`{${opts.userIds.join(',')}}`}::int[])`,
    opts.storeUrl,
  );
  return db
    .select()
    .from(notifications)
    .where(and(inArray(notifications.userId, opts.userIds), eq(notifications.waveId, opts.waveId)))
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
