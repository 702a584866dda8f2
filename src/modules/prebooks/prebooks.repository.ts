import { and, asc, count, desc, eq, inArray, isNull, min, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { pgTimestamptz } from '../../db/timestamptz.js';
import { books } from '../books/books.table.js';
import { users } from '../users/users.table.js';
import { preBookings, restockWaves, type PreBookingStatus } from './prebooks.table.js';

export type { PreBookingStatus } from './prebooks.table.js';

export interface PreBookingRow {
  id: number;
  userId: number;
  userEmail: string;
  bookId: number;
  bookTitle: string;
  bookAuthor: string;
  status: PreBookingStatus;
  createdAt: Date;
  notifiedAt: Date | null;
  cancelledAt: Date | null;
  stockChangeId: number | null;
  convertedOrderId: number | null;
  convertedAt: Date | null;
  holdExpiresAt: Date | null;
  holdExpiredAt: Date | null;
  /** 1-based place among the book's waiting pre-bookings; null unless waiting. */
  queuePosition: number | null;
}

const isWaiting = eq(preBookings.status, 'waiting');

/**
 * Pre-bookings matching `where`, one page, with their queue positions computed for the page's rows only, on
 * ix_pre_bookings_book_waiting_queue. Per book, the first waiting row of the page (its anchor) counts the waiting
 * pre-bookings ahead of it, once; every waiting row adds those between the anchor and itself. A deep admin page
 * of one book's queue costs one count of the rows ahead plus a page-sized span per row, and a reader's own list
 * one count per book: never a pass over whole queues.
 */
export async function listPreBookings(
  db: DbOrTx,
  opts: { where: SQL | undefined; order: 'newest' | 'queue'; limit?: number; offset?: number },
): Promise<PreBookingRow[]> {
  const page = db.$with('page').as(
    db
      .select({
        id: preBookings.id,
        bookId: preBookings.bookId,
        status: preBookings.status,
        createdAt: preBookings.createdAt,
      })
      .from(preBookings)
      .where(opts.where)
      .orderBy(
        ...(opts.order === 'newest'
          ? [desc(preBookings.createdAt), desc(preBookings.id)]
          : [asc(preBookings.createdAt), asc(preBookings.id)]),
      )
      .limit(opts.limit ?? 2 ** 31 - 1)
      .offset(opts.offset ?? 0),
  );
  // The SQL below names the CTE columns itself: in a CTE's select list Drizzle renders them unqualified.
  const inQueue = sql`partition by page.book_id, page.status order by page.created_at, page.id`;
  const anchored = db.$with('anchored').as(
    db
      .select({
        id: page.id,
        anchorId: sql<number>`first_value(page.id) over (${inQueue})`.as('anchor_id'),
        anchorCreatedAt: sql<string>`first_value(page.created_at) over (${inQueue})`.as('anchor_created_at'),
      })
      .from(page),
  );
  // The count of the rows ahead of the anchor runs for the anchor alone (CASE evaluates it lazily); the window
  // hands it to the book's other rows of the page.
  const queuePosition = sql<number | null>`case when ${preBookings.status} = 'waiting' then
    max(case when anchored.id = anchored.anchor_id then (
      select count(*)::int from ${preBookings} ahead
      where ahead.book_id = ${preBookings.bookId} and ahead.status = 'waiting'
        and (ahead.created_at, ahead.id) < (${preBookings.createdAt}, ${preBookings.id})
    ) end) over (partition by ${preBookings.bookId}, ${preBookings.status})
    + 1 + (
      select count(*)::int from ${preBookings} between_
      where between_.book_id = ${preBookings.bookId} and between_.status = 'waiting'
        and (between_.created_at, between_.id) >= (anchored.anchor_created_at, anchored.anchor_id)
        and (between_.created_at, between_.id) < (${preBookings.createdAt}, ${preBookings.id})
    ) end`;
  const rows = await db
    .with(page, anchored)
    .select({
      id: preBookings.id,
      userId: preBookings.userId,
      userEmail: users.email,
      bookId: preBookings.bookId,
      bookTitle: books.title,
      bookAuthor: books.author,
      status: preBookings.status,
      createdAt: preBookings.createdAt,
      notifiedAt: preBookings.notifiedAt,
      cancelledAt: preBookings.cancelledAt,
      stockChangeId: preBookings.stockChangeId,
      convertedOrderId: preBookings.convertedOrderId,
      convertedAt: preBookings.convertedAt,
      holdExpiresAt: preBookings.holdExpiresAt,
      holdExpiredAt: preBookings.holdExpiredAt,
      queuePosition,
    })
    .from(anchored)
    .innerJoin(preBookings, eq(preBookings.id, anchored.id))
    .innerJoin(books, eq(books.id, preBookings.bookId))
    .innerJoin(users, eq(users.id, preBookings.userId))
    .orderBy(
      ...(opts.order === 'newest'
        ? [desc(preBookings.createdAt), desc(preBookings.id)]
        : [asc(preBookings.createdAt), asc(preBookings.id)]),
    );
  return rows.map((r) => ({ ...r, queuePosition: r.status === 'waiting' ? Number(r.queuePosition) : null }));
}

export async function findPreBooking(db: DbOrTx, id: number): Promise<PreBookingRow | undefined> {
  const [row] = await listPreBookings(db, { where: eq(preBookings.id, id), order: 'newest' });
  return row;
}

export async function countPreBookings(db: DbOrTx, where: SQL | undefined): Promise<number> {
  const [row] = await db.select({ n: count() }).from(preBookings).where(where);
  return row?.n ?? 0;
}

export function preBookingFilter(f: { userId?: number; bookId?: number; status?: PreBookingStatus }) {
  return and(
    f.userId === undefined ? undefined : eq(preBookings.userId, f.userId),
    f.bookId === undefined ? undefined : eq(preBookings.bookId, f.bookId),
    f.status === undefined ? undefined : eq(preBookings.status, f.status),
  );
}

/**
 * Locks the book row in share mode: pre-bookings of one book proceed in parallel, while a restock (which locks the
 * row FOR UPDATE) waits for them, and they wait for it. Undefined when the book does not exist.
 */
export async function lockBookForPreBooking(
  tx: DbOrTx,
  bookId: number,
): Promise<{ id: number; stockQuantity: number } | undefined> {
  const [row] = await tx
    .select({ id: books.id, stockQuantity: books.stockQuantity })
    .from(books)
    .where(eq(books.id, bookId))
    .for('share');
  return row;
}

/** Inserts a waiting pre-booking; undefined when the caller already has one for the book. */
export async function insertWaitingPreBooking(
  tx: DbOrTx,
  userId: number,
  bookId: number,
): Promise<number | undefined> {
  const [row] = await tx
    .insert(preBookings)
    .values({ userId, bookId, status: 'waiting' })
    .onConflictDoNothing({ target: [preBookings.userId, preBookings.bookId], where: isWaiting })
    .returning({ id: preBookings.id });
  return row?.id;
}

/** Cancels the user's pre-booking unless already cancelled; the previous status, or undefined if not theirs. */
export async function cancelPreBooking(
  tx: DbOrTx,
  opts: { id: number; userId: number; at: Date },
): Promise<'cancelled' | 'already-cancelled' | 'not-found'> {
  const [updated] = await tx
    .update(preBookings)
    .set({ status: 'cancelled', cancelledAt: opts.at })
    .where(
      and(
        eq(preBookings.id, opts.id),
        eq(preBookings.userId, opts.userId),
        sql`${preBookings.status} <> 'cancelled'`,
      ),
    )
    .returning({ id: preBookings.id });
  if (updated) return 'cancelled';
  const [existing] = await tx
    .select({ status: preBookings.status })
    .from(preBookings)
    .where(and(eq(preBookings.id, opts.id), eq(preBookings.userId, opts.userId)));
  return existing ? 'already-cancelled' : 'not-found';
}

/**
 * Opens a wave of alerts for the book: its row, with the book as announced now. The caller holds the book row
 * FOR UPDATE.
 */
export async function insertWave(
  tx: DbOrTx,
  opts: { bookId: number; stockChangeId: number | null; holdUntil: Date | null; at: Date },
): Promise<number> {
  const result = await tx.execute<{ id: number }>(sql`
    INSERT INTO ${restockWaves} (book_id, stock_change_id, book_title, book_author, hold_until, created_at)
    SELECT id, ${opts.stockChangeId}::int, title, author, ${opts.holdUntil?.toISOString() ?? null}::timestamptz,
           ${opts.at.toISOString()}::timestamptz
    FROM ${books} WHERE id = ${opts.bookId}
    RETURNING id`);
  const row = result.rows[0];
  if (!row) throw new Error(`book ${opts.bookId} vanished while locked`);
  return row.id;
}

/**
 * The wave's flip: the book's waiting pre-bookings (all of them, or the first `limit` in queue order) become
 * notified by the wave, in one statement; returns how many. The caller holds the book row FOR UPDATE, so no
 * pre-booking of the book can be added meanwhile. Nothing per reader is written anywhere else.
 */
export async function flipWaiting(
  tx: DbOrTx,
  opts: {
    bookId: number;
    waveId: number;
    stockChangeId: number | null;
    at: Date;
    limit?: number;
    /** The end of the copy held for each flipped reader (fifo); null: nothing held. */
    holdUntil?: Date | null;
  },
): Promise<number> {
  const chosen =
    opts.limit === undefined
      ? sql`book_id = ${opts.bookId} AND status = 'waiting'`
      : sql`id IN (
          SELECT id FROM ${preBookings}
          WHERE book_id = ${opts.bookId} AND status = 'waiting'
          ORDER BY created_at, id
          LIMIT ${opts.limit}
          FOR UPDATE)`;
  const result = await tx.execute<{ n: number }>(sql`
    WITH notified AS (
      UPDATE ${preBookings}
      SET status = 'notified', notified_at = ${opts.at.toISOString()}::timestamptz,
          stock_change_id = ${opts.stockChangeId}::int, wave_id = ${opts.waveId},
          hold_expires_at = ${opts.holdUntil?.toISOString() ?? null}::timestamptz, hold_expired_at = NULL
      WHERE ${chosen}
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM notified`);
  return result.rows[0]?.n ?? 0;
}

export async function setWaveNotifiedCount(tx: DbOrTx, waveId: number, notified: number): Promise<void> {
  await tx.update(restockWaves).set({ notifiedCount: notified }).where(eq(restockWaves.id, waveId));
}

export async function deleteWave(tx: DbOrTx, waveId: number): Promise<void> {
  await tx.delete(restockWaves).where(eq(restockWaves.id, waveId));
}

/** How many pre-bookings of the book are waiting, and how many of them belong to active accounts. */
export async function countWaiting(
  db: DbOrTx,
  bookId: number,
): Promise<{ waiting: number; activeAccounts: number }> {
  const [row] = await db
    .select({
      waiting: count(),
      activeAccounts: sql<number>`count(*) filter (where ${users.isActive})::int`,
    })
    .from(preBookings)
    .innerJoin(users, eq(users.id, preBookings.userId))
    .where(and(eq(preBookings.bookId, bookId), isWaiting));
  return { waiting: row?.waiting ?? 0, activeAccounts: row?.activeAccounts ?? 0 };
}

/**
 * Checkout conversion: the caller's notified, not yet converted pre-bookings of the ordered books point to the
 * order. Runs inside the checkout transaction; returns the converted pre-booking ids.
 */
export async function recordPreBookingConversions(
  tx: DbOrTx,
  opts: { userId: number; orderId: number; bookIds: number[]; at: Date },
): Promise<number[]> {
  if (opts.bookIds.length === 0) return [];
  const rows = await tx
    .update(preBookings)
    .set({ convertedOrderId: opts.orderId, convertedAt: opts.at })
    .where(
      and(
        eq(preBookings.userId, opts.userId),
        inArray(preBookings.bookId, opts.bookIds),
        eq(preBookings.status, 'notified'),
        isNull(preBookings.convertedAt),
      ),
    )
    .returning({ id: preBookings.id });
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

export interface DemandRow {
  bookId: number;
  title: string;
  author: string;
  stockQuantity: number;
  waitingCount: number;
  oldestWaitingSince: Date | null;
  notifiedCount: number;
  convertedCount: number;
  cancelledCount: number;
  heldCount: number;
  expiredHoldCount: number;
}

/** Books with pre-bookings, ranked by how many readers wait for them. */
export async function preBookingDemand(
  db: DbOrTx,
  opts: { limit: number; offset: number },
): Promise<{ rows: DemandRow[]; total: number }> {
  const waitingCount = sql<number>`count(*) filter (where ${preBookings.status} = 'waiting')::int`;
  const oldest = min(
    sql<Date>`case when ${preBookings.status} = 'waiting' then ${preBookings.createdAt} end`,
  );
  const [rows, totals] = await Promise.all([
    db
      .select({
        bookId: books.id,
        title: books.title,
        author: books.author,
        stockQuantity: books.stockQuantity,
        waitingCount,
        oldestWaitingSince: sql<string | null>`${oldest}`,
        notifiedCount: sql<number>`count(*) filter (where ${preBookings.notifiedAt} is not null)::int`,
        convertedCount: sql<number>`count(*) filter (where ${preBookings.convertedAt} is not null)::int`,
        cancelledCount: sql<number>`count(*) filter (where ${preBookings.status} = 'cancelled')::int`,
        heldCount: sql<number>`count(*) filter (where ${preBookings.status} = 'notified'
          and ${preBookings.holdExpiresAt} is not null and ${preBookings.holdExpiredAt} is null
          and ${preBookings.convertedAt} is null)::int`,
        expiredHoldCount: sql<number>`coalesce(sum(${preBookings.expiredHolds}), 0)::int`,
      })
      .from(preBookings)
      .innerJoin(books, eq(books.id, preBookings.bookId))
      .groupBy(books.id)
      .orderBy(desc(waitingCount), sql`${oldest} asc nulls last`, asc(books.id))
      .limit(opts.limit)
      .offset(opts.offset),
    db.select({ n: sql<number>`count(distinct ${preBookings.bookId})::int` }).from(preBookings),
  ]);
  return {
    rows: rows.map((r) => ({
      ...r,
      oldestWaitingSince: r.oldestWaitingSince === null ? null : pgTimestamptz(r.oldestWaitingSince),
    })),
    total: totals[0]?.n ?? 0,
  };
}

/** A hold that still keeps a copy for its reader, on the alias `p` (the partial indexes use the same predicate). */
const ACTIVE_HOLD = sql`p.status = 'notified' AND p.hold_expires_at IS NOT NULL AND p.hold_expired_at IS NULL AND p.converted_at IS NULL`;

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;

export type HoldCounts = {
  /** Active holds still running at `now`. */
  held: number;
  /** Active holds past their hold_expires_at, not yet ended. */
  due: number;
  /** Of `held`, those of the given user. */
  own: number;
};

/** Hold counts per book at `now` (books without holds are absent), and the given user's own running holds. */
export async function holdCounts(
  db: DbOrTx,
  opts: { bookIds: number[]; now: Date; userId?: number },
): Promise<Map<number, HoldCounts>> {
  if (opts.bookIds.length === 0) return new Map();
  const result = await db.execute<{ book_id: number } & HoldCounts>(sql`
    SELECT p.book_id,
           count(*) FILTER (WHERE p.hold_expires_at > ${ts(opts.now)})::int AS held,
           count(*) FILTER (WHERE p.hold_expires_at <= ${ts(opts.now)})::int AS due,
           count(*) FILTER (WHERE p.hold_expires_at > ${ts(opts.now)} AND p.user_id = ${opts.userId ?? null}::int)::int AS own
    FROM ${preBookings} p
    WHERE p.book_id = ANY(${sql.param(opts.bookIds)}::int[]) AND ${ACTIVE_HOLD}
    GROUP BY p.book_id`);
  return new Map(result.rows.map((r) => [r.book_id, { held: r.held, due: r.due, own: r.own }]));
}

/** Ends the book's holds that are past hold_expires_at; the ids of the pre-bookings whose hold ended. */
export async function expireDueHolds(tx: DbOrTx, opts: { bookId: number; now: Date }): Promise<number[]> {
  const result = await tx.execute<{ id: number }>(sql`
    UPDATE ${preBookings} p SET hold_expired_at = ${ts(opts.now)}, expired_holds = p.expired_holds + 1
    WHERE p.book_id = ${opts.bookId} AND ${ACTIVE_HOLD} AND p.hold_expires_at <= ${ts(opts.now)}
    RETURNING p.id`);
  return result.rows.map((r) => r.id).sort((a, b) => a - b);
}

/**
 * The stock fell below the held copies: the most recently granted holds go back to the queue, at their readers'
 * original places (they are first in line for the next copy). Returns their ids.
 */
export async function requeueNewestHolds(
  tx: DbOrTx,
  opts: { bookId: number; count: number },
): Promise<number[]> {
  if (opts.count <= 0) return [];
  const result = await tx.execute<{ id: number }>(sql`
    WITH newest AS (
      SELECT p.id FROM ${preBookings} p
      WHERE p.book_id = ${opts.bookId} AND ${ACTIVE_HOLD}
      ORDER BY p.notified_at DESC, p.created_at DESC, p.id DESC
      LIMIT ${opts.count}
    )
    UPDATE ${preBookings} p
    SET status = 'waiting', notified_at = NULL, hold_expires_at = NULL, stock_change_id = NULL
    FROM newest WHERE p.id = newest.id
    RETURNING p.id`);
  return result.rows.map((r) => r.id).sort((a, b) => a - b);
}

/** Active holds of the book (running or due). */
export async function countActiveHolds(db: DbOrTx, bookId: number): Promise<number> {
  const result = await db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM ${preBookings} p WHERE p.book_id = ${bookId} AND ${ACTIVE_HOLD}`,
  );
  return result.rows[0]?.n ?? 0;
}

export async function countWaitingOnly(db: DbOrTx, bookId: number): Promise<number> {
  const result = await db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM ${preBookings} WHERE book_id = ${bookId} AND status = 'waiting'`,
  );
  return result.rows[0]?.n ?? 0;
}

/** How many books the user waits for (the cap of PREBOOK_LIMIT_REACHED). */
export async function countWaitingOfUser(db: DbOrTx, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(preBookings)
    .where(and(eq(preBookings.userId, userId), eq(preBookings.status, 'waiting')));
  return row?.n ?? 0;
}

/** Whether the user waits for the book or holds a copy of it (either blocks a second pre-booking). */
export async function hasActivePreBooking(
  db: DbOrTx,
  opts: { userId: number; bookId: number; exceptId?: number },
): Promise<boolean> {
  const result = await db.execute<{ id: number }>(sql`
    SELECT p.id FROM ${preBookings} p
    WHERE p.user_id = ${opts.userId} AND p.book_id = ${opts.bookId} AND p.id <> ${opts.exceptId ?? 0}
      AND (p.status = 'waiting' OR ${ACTIVE_HOLD})
    LIMIT 1`);
  return result.rows.length > 0;
}

/** Active accounts among the first `limit` waiting readers of the book (the e-mails a fifo wave would send). */
export async function countActiveAmongFirstWaiting(
  db: DbOrTx,
  opts: { bookId: number; limit: number },
): Promise<number> {
  if (opts.limit <= 0) return 0;
  const result = await db.execute<{ n: number }>(sql`
    SELECT count(*) FILTER (WHERE u.is_active)::int AS n
    FROM (
      SELECT user_id FROM ${preBookings}
      WHERE book_id = ${opts.bookId} AND status = 'waiting'
      ORDER BY created_at, id LIMIT ${opts.limit}
    ) first JOIN ${users} u ON u.id = first.user_id`);
  return result.rows[0]?.n ?? 0;
}

/** Books that have holds past their expiry not yet ended (what the periodic sweep settles), oldest first. */
export async function booksWithDueHolds(db: DbOrTx, opts: { now: Date; limit: number }): Promise<number[]> {
  const result = await db.execute<{ book_id: number }>(sql`
    SELECT p.book_id FROM ${preBookings} p
    WHERE ${ACTIVE_HOLD} AND p.hold_expires_at <= ${ts(opts.now)}
    GROUP BY p.book_id
    ORDER BY min(p.hold_expires_at)
    LIMIT ${opts.limit}`);
  return result.rows.map((r) => r.book_id);
}

/** Puts a pre-booking back in the queue at its original place (ordered by its created_at). */
export async function requeuePreBooking(tx: DbOrTx, id: number): Promise<void> {
  await tx
    .update(preBookings)
    .set({
      status: 'waiting',
      notifiedAt: null,
      holdExpiresAt: null,
      holdExpiredAt: null,
      stockChangeId: null,
    })
    .where(eq(preBookings.id, id));
}

/** The pre-booking's owner, book, status and hold, without joins (for the paths that lock its book first). */
export async function findPreBookingRef(db: DbOrTx, id: number) {
  const [row] = await db
    .select({
      id: preBookings.id,
      userId: preBookings.userId,
      bookId: preBookings.bookId,
      status: preBookings.status,
      holdExpiresAt: preBookings.holdExpiresAt,
      holdExpiredAt: preBookings.holdExpiredAt,
    })
    .from(preBookings)
    .where(eq(preBookings.id, id));
  return row;
}
