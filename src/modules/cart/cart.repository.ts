import { and, asc, count, eq, inArray } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client.js';
import { books } from '../books/books.table.js';
import { cartItems, carts } from './cart.table.js';

/** A cart line joined with its book's live values. */
export type CartLine = {
  id: number;
  bookId: number;
  quantity: number;
  title: string;
  author: string;
  price: string;
  coverImageUrl: string | null;
  stockQuantity: number;
};

const lineColumns = {
  id: cartItems.id,
  bookId: cartItems.bookId,
  quantity: cartItems.quantity,
  title: books.title,
  author: books.author,
  price: books.price,
  coverImageUrl: books.coverImageUrl,
  stockQuantity: books.stockQuantity,
};

const cartOf = (db: DbOrTx, userId: number) =>
  db.select({ id: carts.id }).from(carts).where(eq(carts.userId, userId));

export function findCartLines(db: DbOrTx, userId: number): Promise<CartLine[]> {
  return db
    .select(lineColumns)
    .from(carts)
    .innerJoin(cartItems, eq(cartItems.cartId, carts.id))
    .innerJoin(books, eq(books.id, cartItems.bookId))
    .where(eq(carts.userId, userId))
    .orderBy(asc(cartItems.id));
}

export async function findCartLine(db: DbOrTx, itemId: number): Promise<CartLine | undefined> {
  const [row] = await db
    .select(lineColumns)
    .from(cartItems)
    .innerJoin(books, eq(books.id, cartItems.bookId))
    .where(eq(cartItems.id, itemId));
  return row;
}

export async function findBookStock(db: DbOrTx, bookId: number): Promise<number | undefined> {
  const [row] = await db
    .select({ stockQuantity: books.stockQuantity })
    .from(books)
    .where(eq(books.id, bookId));
  return row?.stockQuantity;
}

/** The user's cart id, creating the cart on first use (concurrent first adds share one row). */
export async function ensureCart(db: DbOrTx, userId: number): Promise<number> {
  await db.insert(carts).values({ userId }).onConflictDoNothing({ target: carts.userId });
  const [row] = await cartOf(db, userId);
  return row!.id;
}

export async function countCartItems(db: DbOrTx, cartId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(cartItems).where(eq(cartItems.cartId, cartId));
  return row?.n ?? 0;
}

/** Inserts a line; undefined when the book is already in the cart (also under concurrent adds). */
export async function insertCartItem(
  db: DbOrTx,
  cartId: number,
  bookId: number,
  quantity: number,
): Promise<number | undefined> {
  const [row] = await db
    .insert(cartItems)
    .values({ cartId, bookId, quantity })
    .onConflictDoNothing({ target: [cartItems.cartId, cartItems.bookId] })
    .returning({ id: cartItems.id });
  return row?.id;
}

/** Who owns a cart item (undefined when there is no such item). */
export async function findCartItemOwner(db: DbOrTx, itemId: number): Promise<number | undefined> {
  const [row] = await db
    .select({ userId: carts.userId })
    .from(cartItems)
    .innerJoin(carts, eq(carts.id, cartItems.cartId))
    .where(eq(cartItems.id, itemId));
  return row?.userId;
}

/** Updates the quantity of the user's own item; false when it is not theirs or does not exist. */
export async function updateOwnCartItem(
  db: DbOrTx,
  userId: number,
  itemId: number,
  quantity: number,
): Promise<boolean> {
  const rows = await db
    .update(cartItems)
    .set({ quantity })
    .where(and(eq(cartItems.id, itemId), inArray(cartItems.cartId, cartOf(db, userId))))
    .returning({ id: cartItems.id });
  return rows.length > 0;
}

export async function deleteOwnCartItem(db: DbOrTx, userId: number, itemId: number): Promise<boolean> {
  const rows = await db
    .delete(cartItems)
    .where(and(eq(cartItems.id, itemId), inArray(cartItems.cartId, cartOf(db, userId))))
    .returning({ id: cartItems.id });
  return rows.length > 0;
}

export type CheckoutCartLine = { id: number; bookId: number; quantity: number };

/** Locks the user's cart row: concurrent checkouts of one cart run one after the other. */
export async function lockCart(tx: Tx, userId: number): Promise<number | undefined> {
  const [row] = await cartOf(tx, userId).for('update');
  return row?.id;
}

/** The cart's lines by book id (the order in which checkout locks the books). */
export function findCheckoutLines(tx: Tx, cartId: number): Promise<CheckoutCartLine[]> {
  return tx
    .select({ id: cartItems.id, bookId: cartItems.bookId, quantity: cartItems.quantity })
    .from(cartItems)
    .where(eq(cartItems.cartId, cartId))
    .orderBy(asc(cartItems.bookId));
}

export async function deleteCartItems(tx: Tx, itemIds: number[]): Promise<void> {
  await tx.delete(cartItems).where(inArray(cartItems.id, itemIds));
}
