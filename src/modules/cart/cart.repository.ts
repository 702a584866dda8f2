import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';

/** A cart line joined with its book's live values. */
export type CartLine = {
  id: number;
  book_id: number;
  quantity: number;
  title: string;
  author: string;
  price: string;
  cover_image_url: string | null;
  stock_quantity: number;
};

const LINE_COLUMNS = sql`ci.id, ci.book_id, ci.quantity, b.title, b.author, b.price, b.cover_image_url, b.stock_quantity`;

export async function findCartLines(db: DbOrTx, userId: number): Promise<CartLine[]> {
  const result = await db.execute<CartLine>(sql`
    SELECT ${LINE_COLUMNS}
    FROM carts c
    JOIN cart_items ci ON ci.cart_id = c.id
    JOIN books b ON b.id = ci.book_id
    WHERE c.user_id = ${userId}
    ORDER BY ci.id`);
  return result.rows;
}

export async function findCartLine(db: DbOrTx, itemId: number): Promise<CartLine | undefined> {
  const result = await db.execute<CartLine>(sql`
    SELECT ${LINE_COLUMNS}
    FROM cart_items ci JOIN books b ON b.id = ci.book_id
    WHERE ci.id = ${itemId}`);
  return result.rows[0];
}

export async function findBookStock(db: DbOrTx, bookId: number): Promise<number | undefined> {
  const result = await db.execute<{ stock_quantity: number }>(
    sql`SELECT stock_quantity FROM books WHERE id = ${bookId}`,
  );
  return result.rows[0]?.stock_quantity;
}

/** The user's cart id, creating the cart on first use (concurrent first adds share one row). */
export async function ensureCart(db: DbOrTx, userId: number): Promise<number> {
  await db.execute(sql`INSERT INTO carts (user_id) VALUES (${userId}) ON CONFLICT (user_id) DO NOTHING`);
  const result = await db.execute<{ id: number }>(sql`SELECT id FROM carts WHERE user_id = ${userId}`);
  return result.rows[0]!.id;
}

/** Inserts a line; undefined when the book is already in the cart (also under concurrent adds). */
export async function insertCartItem(
  db: DbOrTx,
  cartId: number,
  bookId: number,
  quantity: number,
): Promise<number | undefined> {
  const result = await db.execute<{ id: number }>(sql`
    INSERT INTO cart_items (cart_id, book_id, quantity) VALUES (${cartId}, ${bookId}, ${quantity})
    ON CONFLICT (cart_id, book_id) DO NOTHING
    RETURNING id`);
  return result.rows[0]?.id;
}

/** Who owns a cart item (undefined when there is no such item). */
export async function findCartItemOwner(db: DbOrTx, itemId: number): Promise<number | undefined> {
  const result = await db.execute<{ user_id: number }>(sql`
    SELECT c.user_id FROM cart_items ci JOIN carts c ON c.id = ci.cart_id WHERE ci.id = ${itemId}`);
  return result.rows[0]?.user_id;
}

/** Updates the quantity of the user's own item; false when it is not theirs or does not exist. */
export async function updateOwnCartItem(
  db: DbOrTx,
  userId: number,
  itemId: number,
  quantity: number,
): Promise<boolean> {
  const result = await db.execute(sql`
    UPDATE cart_items ci SET quantity = ${quantity}
    FROM carts c
    WHERE ci.id = ${itemId} AND c.id = ci.cart_id AND c.user_id = ${userId}`);
  return (result.rowCount ?? 0) > 0;
}

export async function deleteOwnCartItem(db: DbOrTx, userId: number, itemId: number): Promise<boolean> {
  const result = await db.execute(sql`
    DELETE FROM cart_items ci USING carts c
    WHERE ci.id = ${itemId} AND c.id = ci.cart_id AND c.user_id = ${userId}`);
  return (result.rowCount ?? 0) > 0;
}
