import { and, count, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { books } from '../books/books.table.js';
import { wishlistItems } from './wishlist.table.js';

export type WishlistRow = {
  id: number;
  bookId: number;
  addedAt: Date;
  title: string;
  author: string;
  price: string;
  stockQuantity: number;
  coverImageUrl: string | null;
};

const rowColumns = {
  id: wishlistItems.id,
  bookId: wishlistItems.bookId,
  addedAt: wishlistItems.addedAt,
  title: books.title,
  author: books.author,
  price: books.price,
  stockQuantity: books.stockQuantity,
  coverImageUrl: books.coverImageUrl,
};

/** Newest first. */
export function findWishlist(db: DbOrTx, userId: number): Promise<WishlistRow[]> {
  return db
    .select(rowColumns)
    .from(wishlistItems)
    .innerJoin(books, eq(books.id, wishlistItems.bookId))
    .where(eq(wishlistItems.userId, userId))
    .orderBy(desc(wishlistItems.addedAt), desc(wishlistItems.id));
}

export async function findWishlistRow(db: DbOrTx, id: number): Promise<WishlistRow | undefined> {
  const [row] = await db
    .select(rowColumns)
    .from(wishlistItems)
    .innerJoin(books, eq(books.id, wishlistItems.bookId))
    .where(eq(wishlistItems.id, id));
  return row;
}

export async function countWishlist(db: DbOrTx, userId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(wishlistItems).where(eq(wishlistItems.userId, userId));
  return row?.n ?? 0;
}

/** Adds the book unless it is listed already (undefined then, also under concurrent adds). */
export async function insertWishlistItem(
  db: DbOrTx,
  userId: number,
  bookId: number,
): Promise<number | undefined> {
  const [row] = await db
    .insert(wishlistItems)
    .values({ userId, bookId })
    .onConflictDoNothing({ target: [wishlistItems.userId, wishlistItems.bookId] })
    .returning({ id: wishlistItems.id });
  return row?.id;
}

export async function bookExists(db: DbOrTx, bookId: number): Promise<boolean> {
  const rows = await db.select({ id: books.id }).from(books).where(eq(books.id, bookId));
  return rows.length > 0;
}

export async function deleteWishlistItem(db: DbOrTx, userId: number, bookId: number): Promise<boolean> {
  const rows = await db
    .delete(wishlistItems)
    .where(and(eq(wishlistItems.userId, userId), eq(wishlistItems.bookId, bookId)))
    .returning({ id: wishlistItems.id });
  return rows.length > 0;
}
