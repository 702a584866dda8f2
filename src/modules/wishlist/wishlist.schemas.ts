import { z } from 'zod';
import { dateTime, idParams, laxInt, money } from '../../http/schemas.js';

export const addWishlistBody = z.object({ book_id: laxInt() }).meta({ id: 'WishlistAdd' });

export const wishlistBookParams = idParams('book_id', 'Id of the book (not of the wishlist item)');

/** The book of a wishlist entry, with its current price and stock. */
export const wishlistBookSummary = z
  .object({
    id: z.int(),
    title: z.string(),
    author: z.string(),
    price: money,
    stock_quantity: z.int(),
    cover_image_url: z.string().nullable(),
  })
  .meta({ id: 'WishlistBookSummary' });

export const wishlistItemResponse = z
  .object({
    id: z.int(),
    book_id: z.int(),
    added_at: dateTime,
    book: wishlistBookSummary,
  })
  .meta({ id: 'WishlistItemResponse' });

export const wishlistResponse = z
  .object({ items: z.array(wishlistItemResponse) })
  .meta({ id: 'WishlistResponse' });

export type WishlistItemResponse = z.infer<typeof wishlistItemResponse>;
