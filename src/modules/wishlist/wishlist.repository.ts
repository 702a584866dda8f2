import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';

export type WishlistRow = {
  id: number;
  book_id: number;
  /** timestamptz text: raw queries get it unparsed. */
  added_at: string;
  title: string;
  author: string;
  price: string;
  stock_quantity: number;
  cover_image_url: string | null;
};

const ROW_COLUMNS = sql`w.id, w.book_id, w.added_at, b.title, b.author, b.price, b.stock_quantity, b.cover_image_url`;

/** Newest first. */
export async function findWishlist(db: DbOrTx, userId: number): Promise<WishlistRow[]> {
  const result = await db.execute<WishlistRow>(sql`
    SELECT ${ROW_COLUMNS}
    FROM wishlist_items w JOIN books b ON b.id = w.book_id
    WHERE w.user_id = ${userId}
    ORDER BY w.added_at DESC, w.id DESC`);
  return result.rows;
}

export async function findWishlistRow(db: DbOrTx, id: number): Promise<WishlistRow | undefined> {
  const result = await db.execute<WishlistRow>(sql`
    SELECT ${ROW_COLUMNS} FROM wishlist_items w JOIN books b ON b.id = w.book_id WHERE w.id = ${id}`);
  return result.rows[0];
}

/** Adds the book when it exists and is not yet listed; undefined otherwise (the caller tells which). */
export async function insertWishlistItem(
  db: DbOrTx,
  userId: number,
  bookId: number,
): Promise<number | undefined> {
  const result = await db.execute<{ id: number }>(sql`
    INSERT INTO wishlist_items (user_id, book_id)
    SELECT ${userId}, id FROM books WHERE id = ${bookId}
    ON CONFLICT (user_id, book_id) DO NOTHING
    RETURNING id`);
  return result.rows[0]?.id;
}

export async function bookExists(db: DbOrTx, bookId: number): Promise<boolean> {
  const result = await db.execute(sql`SELECT 1 FROM books WHERE id = ${bookId}`);
  return result.rows.length > 0;
}

export async function deleteWishlistItem(db: DbOrTx, userId: number, bookId: number): Promise<boolean> {
  const result = await db.execute(
    sql`DELETE FROM wishlist_items WHERE user_id = ${userId} AND book_id = ${bookId}`,
  );
  return (result.rowCount ?? 0) > 0;
}
