import { asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client.js';
import { books, type BookRow } from '../books/books.table.js';
import { preBookings } from '../prebooks/prebooks.table.js';
import { users } from '../users/users.table.js';
import { restockPolicies, stockChanges, type RestockPolicy } from './stock.table.js';

/** Locks the book row for a stock change; every stock change and every pre-booking of the book queue on it. */
export async function lockBookForStockChange(tx: DbOrTx, bookId: number): Promise<BookRow | undefined> {
  const [row] = await tx.select().from(books).where(eq(books.id, bookId)).for('update');
  return row;
}

export type BookForSale = Pick<
  BookRow,
  'id' | 'title' | 'author' | 'price' | 'coverImageUrl' | 'stockQuantity'
>;

/** Row locks in ascending id order, so that checkouts sharing books cannot deadlock. */
export function lockBooksForSale(tx: Tx, bookIds: number[]): Promise<BookForSale[]> {
  return tx
    .select({
      id: books.id,
      title: books.title,
      author: books.author,
      price: books.price,
      coverImageUrl: books.coverImageUrl,
      stockQuantity: books.stockQuantity,
    })
    .from(books)
    .where(inArray(books.id, bookIds))
    .orderBy(asc(books.id))
    .for('update');
}

/** One statement for every line; updated_at is the transaction's time, as for every write of a request. */
export async function decrementStock(tx: Tx, lines: { bookId: number; quantity: number }[]): Promise<void> {
  // An UPDATE … FROM unnest(…) joined on the lines: Drizzle's update builder has no FROM over a set function.
  await tx.execute(sql`
    UPDATE ${books} SET stock_quantity = ${books.stockQuantity} - l.quantity, updated_at = now()
    FROM unnest(${sql.param(lines.map((l) => l.bookId))}::int[], ${sql.param(lines.map((l) => l.quantity))}::int[])
      AS l(book_id, quantity)
    WHERE ${books.id} = l.book_id`);
}

export async function writeStock(tx: DbOrTx, bookId: number, quantity: number, at: Date): Promise<BookRow> {
  const [row] = await tx
    .update(books)
    .set({ stockQuantity: quantity, updatedAt: at })
    .where(eq(books.id, bookId))
    .returning();
  if (!row) throw new Error(`book ${bookId} vanished while locked`);
  return row;
}

export async function insertStockChange(
  tx: DbOrTx,
  change: {
    bookId: number;
    changedBy: number | null;
    oldQuantity: number;
    newQuantity: number;
    policy: RestockPolicy;
    at: Date;
  },
): Promise<number> {
  const [row] = await tx
    .insert(stockChanges)
    .values({
      bookId: change.bookId,
      changedBy: change.changedBy,
      oldQuantity: change.oldQuantity,
      newQuantity: change.newQuantity,
      policy: change.policy,
      createdAt: change.at,
    })
    .returning({ id: stockChanges.id });
  return row!.id;
}

/** One statement for any number of books (an import may create 100 000): one array parameter per column. */
export async function insertOpeningStockChanges(
  tx: Tx,
  rows: { bookId: number; quantity: number }[],
): Promise<void> {
  // INSERT … SELECT FROM unnest(…): Drizzle's insert builder takes rows as parameters, 65 535 at most.
  await tx.execute(sql`
    INSERT INTO ${stockChanges} (book_id, changed_by, old_quantity, new_quantity)
    SELECT l.book_id, NULL, 0, l.quantity
    FROM unnest(${sql.param(rows.map((r) => r.bookId))}::int[], ${sql.param(rows.map((r) => r.quantity))}::int[])
      AS l(book_id, quantity)`);
}

export async function setNotifiedCount(
  tx: DbOrTx,
  stockChangeId: number,
  counts: { notified: number; held: number },
): Promise<void> {
  await tx
    .update(stockChanges)
    .set({ notifiedCount: counts.notified, heldCount: counts.held })
    .where(eq(stockChanges.id, stockChangeId));
}

export interface StockChangeRow {
  id: number;
  bookId: number;
  changedBy: number | null;
  changedByEmail: string | null;
  oldQuantity: number;
  newQuantity: number;
  notifiedCount: number;
  heldCount: number;
  policy: RestockPolicy;
  createdAt: Date;
}

export async function listStockChanges(
  db: DbOrTx,
  opts: { bookId: number; limit: number; offset: number },
): Promise<{ rows: StockChangeRow[]; total: number }> {
  const where = eq(stockChanges.bookId, opts.bookId);
  const [rows, totals] = await Promise.all([
    db
      .select({
        id: stockChanges.id,
        bookId: stockChanges.bookId,
        changedBy: stockChanges.changedBy,
        changedByEmail: users.email,
        oldQuantity: stockChanges.oldQuantity,
        newQuantity: stockChanges.newQuantity,
        notifiedCount: stockChanges.notifiedCount,
        heldCount: stockChanges.heldCount,
        policy: stockChanges.policy,
        createdAt: stockChanges.createdAt,
      })
      .from(stockChanges)
      .leftJoin(users, eq(users.id, stockChanges.changedBy))
      .where(where)
      .orderBy(desc(stockChanges.createdAt), desc(stockChanges.id))
      .limit(opts.limit)
      .offset(opts.offset),
    db.select({ n: count() }).from(stockChanges).where(where),
  ]);
  return { rows, total: totals[0]?.n ?? 0 };
}

export interface PolicyDefaults {
  policy: RestockPolicy;
  holdSeconds: number;
}

export interface EffectivePolicy {
  policy: RestockPolicy;
  holdSeconds: number;
  source: 'book' | 'default';
}

/** The book's own policy, or the defaults when it has none. */
export async function findPolicy(
  db: DbOrTx,
  bookId: number,
  defaults: PolicyDefaults,
): Promise<EffectivePolicy> {
  const [row] = await db
    .select({ policy: restockPolicies.policy, holdSeconds: restockPolicies.holdSeconds })
    .from(restockPolicies)
    .where(eq(restockPolicies.bookId, bookId));
  return row ? { ...row, source: 'book' } : { ...defaults, source: 'default' };
}

export async function upsertPolicy(
  tx: DbOrTx,
  p: { bookId: number; policy: RestockPolicy; holdSeconds: number; updatedBy: number; at: Date },
): Promise<void> {
  const values = { policy: p.policy, holdSeconds: p.holdSeconds, updatedBy: p.updatedBy, updatedAt: p.at };
  await tx
    .insert(restockPolicies)
    .values({ bookId: p.bookId, ...values })
    .onConflictDoUpdate({ target: restockPolicies.bookId, set: values });
}

export interface BookHoldState {
  bookId: number;
  stockQuantity: number;
  policy: EffectivePolicy;
  /** Active holds still running at `now`. */
  held: number;
  waiting: number;
}

/**
 * One read of what decides availability: the stock, the policy, the running holds and the queue length. Holds past
 * their expiry are not counted as held (the next transaction that locks the book ends them).
 */
export async function readBookHoldState(
  db: DbOrTx,
  opts: { bookId: number; now: Date; defaults: PolicyDefaults },
): Promise<BookHoldState | undefined> {
  const now = opts.now.toISOString();
  const result = await db.execute<{
    stock_quantity: number;
    policy: RestockPolicy | null;
    hold_seconds: number | null;
    held: number;
    waiting: number;
  }>(sql`
    SELECT b.stock_quantity, rp.policy, rp.hold_seconds,
      (SELECT count(*)::int FROM ${preBookings} p
        WHERE p.book_id = b.id AND p.status = 'notified' AND p.hold_expires_at IS NOT NULL
          AND p.hold_expired_at IS NULL AND p.converted_at IS NULL
          AND p.hold_expires_at > ${now}::timestamptz) AS held,
      (SELECT count(*)::int FROM ${preBookings} p WHERE p.book_id = b.id AND p.status = 'waiting') AS waiting
    FROM ${books} b LEFT JOIN ${restockPolicies} rp ON rp.book_id = b.id
    WHERE b.id = ${opts.bookId}`);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    bookId: opts.bookId,
    stockQuantity: row.stock_quantity,
    policy:
      row.policy === null || row.hold_seconds === null
        ? { ...opts.defaults, source: 'default' }
        : { policy: row.policy, holdSeconds: row.hold_seconds, source: 'book' },
    held: row.held,
    waiting: row.waiting,
  };
}
