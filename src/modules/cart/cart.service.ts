import type { Tx } from '../../db/client.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { lockUserCollection } from '../../db/locks.js';
import type { Deps } from '../../deps.js';
import { centsToMoney, formatMoney, totalCents } from '../../lib/money.js';
import {
  bookNotFound,
  bookOutOfStock,
  cartItemDuplicate,
  cartItemForbidden,
  cartItemNotFound,
  cartLimitReached,
} from './cart.errors.js';
import {
  countCartItems,
  deleteCartItems,
  deleteOwnCartItem,
  ensureCart,
  findBookStock,
  findCartItemOwner,
  findCartLine,
  findCartLines,
  findCheckoutLines,
  insertCartItem,
  lockCart,
  updateOwnCartItem,
  type CartLine,
  type CheckoutCartLine,
} from './cart.repository.js';
import type { CartItemResponse, CartResponse } from './cart.schemas.js';

function toItem(line: CartLine): CartItemResponse {
  return {
    id: line.id,
    book_id: line.bookId,
    quantity: line.quantity,
    book: {
      id: line.bookId,
      title: line.title,
      author: line.author,
      price: formatMoney(line.price),
      cover_image_url: line.coverImageUrl,
    },
  };
}

/** Lines one cart may hold (README "Bounded per-user collections and streams"). */
export const MAX_CART_LINES = 100;

/**
 * For checkout, inside its transaction: locks the user's cart (concurrent checkouts of one cart, and additions
 * to it, run one after the other) and reads its lines by book id. Undefined when the user never had a cart.
 */
export async function lockCartForCheckout(
  tx: Tx,
  userId: number,
): Promise<{ id: number; lines: CheckoutCartLine[] } | undefined> {
  const id = await lockCart(tx, userId);
  return id === undefined ? undefined : { id, lines: await findCheckoutLines(tx, id) };
}

/** For checkout, inside its transaction: removes the lines it has just turned into an order. */
export function clearCheckedOutLines(tx: Tx, lines: CheckoutCartLine[]): Promise<void> {
  return deleteCartItems(
    tx,
    lines.map((l) => l.id),
  );
}

export function createCartService({ db }: Pick<Deps, 'db'>) {
  /** Tells "not yours" (403, as the contract wants) from "no such item" (404) after a guarded write missed. */
  async function missedItem(itemId: number): Promise<never> {
    const owner = await findCartItemOwner(db, itemId);
    throw owner === undefined ? cartItemNotFound() : cartItemForbidden();
  }

  async function lineOrMissing(itemId: number): Promise<CartItemResponse> {
    const line = await findCartLine(db, itemId);
    if (!line) throw cartItemNotFound();
    return toItem(line);
  }

  return {
    async getCart(userId: number): Promise<CartResponse> {
      const lines = await findCartLines(db, userId);
      return {
        items: lines.map(toItem),
        total_items: lines.reduce((n, l) => n + l.quantity, 0),
        total_price: centsToMoney(totalCents(lines, (l) => l.price)),
      };
    },

    async addItem(userId: number, bookId: number, quantity: number): Promise<CartItemResponse> {
      const stock = await findBookStock(db, bookId);
      if (stock === undefined) throw bookNotFound();
      if (stock === 0) throw bookOutOfStock();
      const itemId = await db.transaction(async (tx) => {
        // Counted under the user's lock, so that concurrent additions cannot pass the cap together.
        await lockUserCollection(tx, 'cart', userId);
        const cartId = await ensureCart(tx, userId);
        if ((await countCartItems(tx, cartId)) >= MAX_CART_LINES) throw cartLimitReached(MAX_CART_LINES);
        try {
          return await insertCartItem(tx, cartId, bookId, quantity);
        } catch (err) {
          // The book was deleted between the check and the insert.
          if (isForeignKeyViolation(err)) throw bookNotFound();
          throw err;
        }
      });
      if (itemId === undefined) throw cartItemDuplicate();
      return lineOrMissing(itemId);
    },

    async updateItem(userId: number, itemId: number, quantity: number): Promise<CartItemResponse> {
      if (!(await updateOwnCartItem(db, userId, itemId, quantity))) return missedItem(itemId);
      return lineOrMissing(itemId);
    },

    async removeItem(userId: number, itemId: number): Promise<void> {
      if (!(await deleteOwnCartItem(db, userId, itemId))) await missedItem(itemId);
    },
  };
}

export type CartService = ReturnType<typeof createCartService>;
