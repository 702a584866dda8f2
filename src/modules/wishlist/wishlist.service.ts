import type { Deps } from '../../deps.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { pgTimestamptz } from '../../db/timestamptz.js';
import { formatMoney, isoDateTime } from '../../http/schemas.js';
import {
  bookExists,
  deleteWishlistItem,
  findWishlist,
  findWishlistRow,
  insertWishlistItem,
  type WishlistRow,
} from './wishlist.repository.js';
import type { WishlistItemResponse } from './wishlist.schemas.js';
import { duplicate, itemNotFound } from './wishlist.errors.js';
import { bookNotFound } from '../books/books.errors.js';

function toItem(row: WishlistRow): WishlistItemResponse {
  return {
    id: row.id,
    book_id: row.book_id,
    added_at: isoDateTime(pgTimestamptz(row.added_at)),
    book: {
      id: row.book_id,
      title: row.title,
      author: row.author,
      price: formatMoney(row.price),
      stock_quantity: row.stock_quantity,
      cover_image_url: row.cover_image_url,
    },
  };
}

export function createWishlistService({ db }: Pick<Deps, 'db'>) {
  return {
    async list(userId: number): Promise<WishlistItemResponse[]> {
      return (await findWishlist(db, userId)).map(toItem);
    },

    async add(userId: number, bookId: number): Promise<WishlistItemResponse> {
      let id: number | undefined;
      try {
        id = await insertWishlistItem(db, userId, bookId);
      } catch (err) {
        if (isForeignKeyViolation(err)) throw bookNotFound();
        throw err;
      }
      if (id === undefined) throw (await bookExists(db, bookId)) ? duplicate() : bookNotFound();
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
