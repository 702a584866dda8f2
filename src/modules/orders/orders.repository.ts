import { sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client.js';

export type OrderRow = {
  id: number;
  user_id: number;
  status: 'confirmed' | 'payment_failed';
  /** timestamptz text: raw queries get it unparsed. */
  created_at: string;
};

export type OrderLineRow = {
  id: number;
  order_id: number;
  book_id: number | null;
  quantity: number;
  unit_price: string;
  title: string | null;
  author: string | null;
  cover_image_url: string | null;
  price: string | null;
  isbn: string | null;
};

export type CheckoutCartLine = { id: number; book_id: number; quantity: number };

export type LockedBook = {
  id: number;
  title: string;
  author: string;
  price: string;
  cover_image_url: string | null;
  stock_quantity: number;
};

/** Locks the user's cart row: concurrent checkouts of one cart run one after the other. */
export async function lockCart(tx: Tx, userId: number): Promise<number | undefined> {
  const result = await tx.execute<{ id: number }>(
    sql`SELECT id FROM carts WHERE user_id = ${userId} FOR UPDATE`,
  );
  return result.rows[0]?.id;
}

export async function findOrderIdByIdempotencyKey(
  db: DbOrTx,
  userId: number,
  key: string,
): Promise<number | undefined> {
  const result = await db.execute<{ id: number }>(
    sql`SELECT id FROM orders WHERE user_id = ${userId} AND idempotency_key = ${key}`,
  );
  return result.rows[0]?.id;
}

/** The order placed with this key, with the cart lines it was placed from (book id, quantity; by book id). */
export async function findIdempotentOrder(
  db: DbOrTx,
  userId: number,
  key: string,
): Promise<{ id: number; lines: { book_id: number | null; quantity: number }[] } | undefined> {
  const result = await db.execute<{ id: number; book_id: number | null; quantity: number }>(sql`
    SELECT o.id, i.book_id, i.quantity
    FROM orders o LEFT JOIN order_items i ON i.order_id = o.id
    WHERE o.user_id = ${userId} AND o.idempotency_key = ${key}
    ORDER BY i.book_id`);
  const first = result.rows[0];
  if (!first) return undefined;
  return {
    id: first.id,
    lines: result.rows
      .filter((r) => r.quantity !== null)
      .map((r) => ({ book_id: r.book_id, quantity: r.quantity })),
  };
}

/** A key older than the replay window is free again: it no longer names the order it once placed. */
export async function releaseExpiredIdempotencyKey(
  tx: Tx,
  userId: number,
  key: string,
  placedBefore: Date,
): Promise<void> {
  await tx.execute(sql`
    UPDATE orders SET idempotency_key = NULL
    WHERE user_id = ${userId} AND idempotency_key = ${key} AND created_at < ${placedBefore.toISOString()}`);
}

export async function findCheckoutLines(tx: Tx, cartId: number): Promise<CheckoutCartLine[]> {
  const result = await tx.execute<CheckoutCartLine>(
    sql`SELECT id, book_id, quantity FROM cart_items WHERE cart_id = ${cartId} ORDER BY book_id`,
  );
  return result.rows;
}

/** Row locks in ascending id order, so that checkouts sharing books cannot deadlock. */
export async function lockBooks(tx: Tx, bookIds: number[]): Promise<LockedBook[]> {
  const result = await tx.execute<LockedBook>(sql`
    SELECT id, title, author, price, cover_image_url, stock_quantity
    FROM books WHERE id = ANY(${sql.param(bookIds)}::int[])
    ORDER BY id
    FOR UPDATE`);
  return result.rows;
}

export async function insertOrder(
  tx: Tx,
  userId: number,
  idempotencyKey: string | undefined,
): Promise<{ id: number; created_at: string }> {
  const result = await tx.execute<{ id: number; created_at: string }>(sql`
    INSERT INTO orders (user_id, status, idempotency_key)
    VALUES (${userId}, 'confirmed', ${idempotencyKey ?? null})
    RETURNING id, created_at`);
  return result.rows[0]!;
}

export async function insertOrderItems(
  tx: Tx,
  orderId: number,
  lines: { book_id: number; quantity: number; unit_price: string }[],
): Promise<{ id: number; book_id: number }[]> {
  const result = await tx.execute<{ id: number; book_id: number }>(sql`
    INSERT INTO order_items (order_id, book_id, quantity, unit_price)
    SELECT ${orderId}, l.book_id, l.quantity, l.unit_price
    FROM unnest(
      ${sql.param(lines.map((l) => l.book_id))}::int[],
      ${sql.param(lines.map((l) => l.quantity))}::int[],
      ${sql.param(lines.map((l) => l.unit_price))}::numeric[]
    ) WITH ORDINALITY AS l(book_id, quantity, unit_price, n)
    ORDER BY l.n
    RETURNING id, book_id`);
  return result.rows;
}

export async function decrementStock(tx: Tx, lines: { book_id: number; quantity: number }[]): Promise<void> {
  await tx.execute(sql`
    UPDATE books b SET stock_quantity = b.stock_quantity - l.quantity, updated_at = now()
    FROM unnest(${sql.param(lines.map((l) => l.book_id))}::int[], ${sql.param(lines.map((l) => l.quantity))}::int[]) AS l(book_id, quantity)
    WHERE b.id = l.book_id`);
}

export async function deleteCartItems(tx: Tx, itemIds: number[]): Promise<void> {
  await tx.execute(sql`DELETE FROM cart_items WHERE id = ANY(${sql.param(itemIds)}::int[])`);
}

export async function findOrder(db: DbOrTx, orderId: number): Promise<OrderRow | undefined> {
  const result = await db.execute<OrderRow>(
    sql`SELECT id, user_id, status, created_at FROM orders WHERE id = ${orderId}`,
  );
  return result.rows[0];
}

/** One user's orders, newest first. */
export async function findOrders(db: DbOrTx, userId: number): Promise<OrderRow[]> {
  const result = await db.execute<OrderRow>(sql`
    SELECT id, user_id, status, created_at FROM orders
    WHERE user_id = ${userId}
    ORDER BY created_at DESC, id DESC`);
  return result.rows;
}

/** Every user's orders, newest first, each with its buyer's e-mail address. */
export async function findAllOrdersWithBuyer(db: DbOrTx): Promise<(OrderRow & { user_email: string })[]> {
  const result = await db.execute<OrderRow & { user_email: string }>(sql`
    SELECT o.id, o.user_id, o.status, o.created_at, u.email AS user_email
    FROM orders o JOIN users u ON u.id = o.user_id
    ORDER BY o.created_at DESC, o.id DESC`);
  return result.rows;
}

/** The lines of many orders in one query, with each line's live book (null columns once the book is deleted). */
export async function findOrderLines(db: DbOrTx, orderIds: number[]): Promise<OrderLineRow[]> {
  if (orderIds.length === 0) return [];
  const result = await db.execute<OrderLineRow>(sql`
    SELECT oi.id, oi.order_id, oi.book_id, oi.quantity, oi.unit_price,
           b.title, b.author, b.cover_image_url, b.price, b.isbn
    FROM order_items oi LEFT JOIN books b ON b.id = oi.book_id
    WHERE oi.order_id = ANY(${sql.param(orderIds)}::int[])
    ORDER BY oi.order_id, oi.id`);
  return result.rows;
}

export async function findUserEmail(db: DbOrTx, userId: number): Promise<string | undefined> {
  const result = await db.execute<{ email: string }>(sql`SELECT email FROM users WHERE id = ${userId}`);
  return result.rows[0]?.email;
}
