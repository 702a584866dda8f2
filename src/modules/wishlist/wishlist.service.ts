import { isForeignKeyViolation } from '../../db/errors.js';
import { lockUserCollection } from '../../db/locks.js';
import type { Deps } from '../../deps.js';
import { isoDateTime } from '../../http/schemas.js';
import { formatMoney } from '../../lib/money.js';
import {
  bookExists,
  countWishlist,
  deleteWishlistItem,
  findWishlist,
  findWishlistRow,
  insertWishlistItem,
  type WishlistRow,
} from './wishlist.repository.js';
import type { WishlistItemResponse } from './wishlist.schemas.js';
import { duplicate, itemNotFound, limitReached } from './wishlist.errors.js';
import { bookNotFound } from '../books/books.errors.js';

/** Books one wishlist may hold (README "Bounded per-user collections and streams"). */
export const MAX_WISHLIST_ITEMS = 500;

function toItem(row: WishlistRow): WishlistItemResponse {
  return {
    id: row.id,
    book_id: row.bookId,
    added_at: isoDateTime(row.addedAt),
    book: {
      id: row.bookId,
      title: row.title,
      author: row.author,
      price: formatMoney(row.price),
      stock_quantity: row.stockQuantity,
      cover_image_url: row.coverImageUrl,
    },
  };
}

export function createWishlistService({ db }: Pick<Deps, 'db'>) {
  return {
    async list(userId: number): Promise<WishlistItemResponse[]> {
      return (await findWishlist(db, userId)).map(toItem);
    },

    async add(userId: number, bookId: number): Promise<WishlistItemResponse> {
      const id = await db.transaction(async (tx) => {
        // Counted under the user's lock, so that concurrent additions cannot pass the cap together.
        await lockUserCollection(tx, 'wishlist', userId);
        if (!(await bookExists(tx, bookId))) throw bookNotFound();
        if ((await countWishlist(tx, userId)) >= MAX_WISHLIST_ITEMS) throw limitReached(MAX_WISHLIST_ITEMS);
        try {
          return await insertWishlistItem(tx, userId, bookId);
        } catch (err) {
          // The book was deleted between the check and the insert.
          if (isForeignKeyViolation(err)) throw bookNotFound();
          throw err;
        }
      });
      if (id === undefined) throw duplicate();
      const row = await findWishlistRow(db, id);
      if (!row) throw bookNotFound();
      return toItem(row);
    },

    async remove(userId: number, bookId: number): Promise<void> {
      if (!(await deleteWishlistItem(db, userId, bookId))) throw itemNotFound();
    },
  };
}

export type WishlistService = ReturnType<typeof createWishlistService>;
