import { count, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { books, stockChanges, type BookRow } from '../books/books.table.js';
import { users } from '../users/users.table.js';

/** Locks the book row for a stock change; every stock change and every pre-booking of the book queue on it. */
export async function lockBookForStockChange(tx: DbOrTx, bookId: number): Promise<BookRow | undefined> {
  const [row] = await tx.select().from(books).where(eq(books.id, bookId)).for('update');
  return row;
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
  change: { bookId: number; changedBy: number | null; oldQuantity: number; newQuantity: number; at: Date },
): Promise<number> {
  const [row] = await tx
    .insert(stockChanges)
    .values({
      bookId: change.bookId,
      changedBy: change.changedBy,
      oldQuantity: change.oldQuantity,
      newQuantity: change.newQuantity,
      createdAt: change.at,
    })
    .returning({ id: stockChanges.id });
  return row!.id;
}

export async function setNotifiedCount(tx: DbOrTx, stockChangeId: number, notified: number): Promise<void> {
  await tx.update(stockChanges).set({ notifiedCount: notified }).where(eq(stockChanges.id, stockChangeId));
}

export interface StockChangeRow {
  id: number;
  bookId: number;
  changedBy: number | null;
  changedByEmail: string | null;
  oldQuantity: number;
  newQuantity: number;
  notifiedCount: number;
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
