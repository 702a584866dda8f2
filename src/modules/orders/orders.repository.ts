import { and, asc, desc, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client.js';
import { books } from '../books/books.table.js';
import { users } from '../users/users.table.js';
import { orderItems, orders } from './orders.table.js';

export type OrderRow = Pick<typeof orders.$inferSelect, 'id' | 'userId' | 'status' | 'createdAt'>;

/** An order line with its live book (null columns once the book is deleted). */
export type OrderLineRow = {
  id: number;
  orderId: number;
  bookId: number | null;
  quantity: number;
  unitPrice: string;
  title: string | null;
  author: string | null;
  coverImageUrl: string | null;
  price: string | null;
  isbn: string | null;
};

const orderColumns = {
  id: orders.id,
  userId: orders.userId,
  status: orders.status,
  createdAt: orders.createdAt,
};

export async function findOrderIdByIdempotencyKey(
  db: DbOrTx,
  userId: number,
  key: string,
): Promise<number | undefined> {
  const [row] = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.userId, userId), eq(orders.idempotencyKey, key)));
  return row?.id;
}

/** The order placed with this key, with the cart lines it was placed from (book id, quantity; by book id). */
export async function findIdempotentOrder(
  db: DbOrTx,
  userId: number,
  key: string,
): Promise<{ id: number; lines: { bookId: number | null; quantity: number }[] } | undefined> {
  const rows = await db
    .select({ id: orders.id, bookId: orderItems.bookId, quantity: orderItems.quantity })
    .from(orders)
    .leftJoin(orderItems, eq(orderItems.orderId, orders.id))
    .where(and(eq(orders.userId, userId), eq(orders.idempotencyKey, key)))
    .orderBy(asc(orderItems.bookId));
  const first = rows[0];
  if (!first) return undefined;
  return {
    id: first.id,
    lines: rows.flatMap((r) => (r.quantity === null ? [] : [{ bookId: r.bookId, quantity: r.quantity }])),
  };
}

/** A key older than the replay window is free again: it no longer names the order it once placed. */
export async function releaseExpiredIdempotencyKey(
  tx: Tx,
  userId: number,
  key: string,
  placedBefore: Date,
): Promise<void> {
  await tx
    .update(orders)
    .set({ idempotencyKey: null })
    .where(
      and(eq(orders.userId, userId), eq(orders.idempotencyKey, key), lt(orders.createdAt, placedBefore)),
    );
}

/**
 * Releases up to `limit` keys older than the replay window, whoever placed them (the periodic purge); on the
 * partial index of orders that still carry a key. Returns how many were released.
 */
export async function releaseExpiredIdempotencyKeys(
  db: DbOrTx,
  placedBefore: Date,
  limit: number,
): Promise<number> {
  const due = db
    .select({ id: orders.id })
    .from(orders)
    .where(and(isNotNull(orders.idempotencyKey), lt(orders.createdAt, placedBefore)))
    .orderBy(asc(orders.createdAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  const rows = await db
    .update(orders)
    .set({ idempotencyKey: null })
    .where(inArray(orders.id, due))
    .returning({ id: orders.id });
  return rows.length;
}

export async function insertOrder(
  tx: Tx,
  userId: number,
  idempotencyKey: string | undefined,
): Promise<{ id: number }> {
  const [row] = await tx
    .insert(orders)
    .values({ userId, status: 'confirmed', idempotencyKey: idempotencyKey ?? null })
    .returning({ id: orders.id });
  return row!;
}

/** One statement for all lines, inserted in the given order (so ids follow it). */
export async function insertOrderItems(
  tx: Tx,
  orderId: number,
  lines: { bookId: number; quantity: number; unitPrice: string }[],
): Promise<void> {
  await tx.insert(orderItems).values(lines.map((l) => ({ orderId, ...l })));
}

export async function findOrder(db: DbOrTx, orderId: number): Promise<OrderRow | undefined> {
  const [row] = await db.select(orderColumns).from(orders).where(eq(orders.id, orderId));
  return row;
}

/** One user's orders, newest first. */
export function findOrders(db: DbOrTx, userId: number): Promise<OrderRow[]> {
  return db
    .select(orderColumns)
    .from(orders)
    .where(eq(orders.userId, userId))
    .orderBy(desc(orders.createdAt), desc(orders.id));
}

/** Every user's orders, newest first, each with its buyer's e-mail address. */
export function findAllOrdersWithBuyer(db: DbOrTx): Promise<(OrderRow & { userEmail: string })[]> {
  return db
    .select({ ...orderColumns, userEmail: users.email })
    .from(orders)
    .innerJoin(users, eq(users.id, orders.userId))
    .orderBy(desc(orders.createdAt), desc(orders.id));
}

/** The lines of many orders in one query, with each line's live book (null columns once the book is deleted). */
export async function findOrderLines(db: DbOrTx, orderIds: number[]): Promise<OrderLineRow[]> {
  if (orderIds.length === 0) return [];
  return (
    db
      .select({
        id: orderItems.id,
        orderId: orderItems.orderId,
        bookId: orderItems.bookId,
        quantity: orderItems.quantity,
        unitPrice: orderItems.unitPrice,
        title: books.title,
        author: books.author,
        coverImageUrl: books.coverImageUrl,
        price: books.price,
        isbn: books.isbn,
      })
      .from(orderItems)
      .leftJoin(books, eq(books.id, orderItems.bookId))
      // One array parameter: inArray sends one parameter per id, and the admin list may pass more than the
      // protocol's 65 535.
      .where(sql`${orderItems.orderId} = ANY(${sql.param(orderIds)}::int[])`)
      .orderBy(asc(orderItems.orderId), asc(orderItems.id))
  );
}

export async function findUserEmail(db: DbOrTx, userId: number): Promise<string | undefined> {
  const [row] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return row?.email;
}
