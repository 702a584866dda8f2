import type { Deps } from '../../deps.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { centsToMoney, formatMoney, moneyToCents } from '../../http/schemas.js';
import {
  bookNotFound,
  bookOutOfStock,
  cartItemDuplicate,
  cartItemForbidden,
  cartItemNotFound,
} from './cart.errors.js';
import {
  deleteOwnCartItem,
  ensureCart,
  findBookStock,
  findCartItemOwner,
  findCartLine,
  findCartLines,
  insertCartItem,
  updateOwnCartItem,
  type CartLine,
} from './cart.repository.js';
import type { CartItemResponse, CartResponse } from './cart.schemas.js';

function toItem(line: CartLine): CartItemResponse {
  return {
    id: line.id,
    book_id: line.book_id,
    quantity: line.quantity,
    book: {
      id: line.book_id,
      title: line.title,
      author: line.author,
      price: formatMoney(line.price),
      cover_image_url: line.cover_image_url,
    },
  };
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
        total_price: centsToMoney(lines.reduce((sum, l) => sum + moneyToCents(l.price) * l.quantity, 0)),
      };
    },

    async addItem(userId: number, bookId: number, quantity: number): Promise<CartItemResponse> {
      const stock = await findBookStock(db, bookId);
      if (stock === undefined) throw bookNotFound();
      if (stock === 0) throw bookOutOfStock();
      const cartId = await ensureCart(db, userId);
      let itemId: number | undefined;
      try {
        itemId = await insertCartItem(db, cartId, bookId, quantity);
      } catch (err) {
        // The book was deleted between the check and the insert.
        if (isForeignKeyViolation(err)) throw bookNotFound();
        throw err;
      }
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
