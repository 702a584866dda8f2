import { z } from 'zod';
import { dateTime, laxInt, money } from '../../http/schemas.js';

export const addWishlistBody = z.object({ book_id: laxInt() });

export const wishlistBookParams = z.object({ book_id: laxInt() });

export const wishlistItemResponse = z
  .object({
    id: z.int(),
    book_id: z.int(),
    added_at: dateTime,
    book: z.object({
      id: z.int(),
      title: z.string(),
      author: z.string(),
      price: money,
      stock_quantity: z.int(),
      cover_image_url: z.string().nullable(),
    }),
  })
  .meta({ id: 'WishlistItemResponse' });

export const wishlistResponse = z.object({ items: z.array(wishlistItemResponse) });

export type WishlistItemResponse = z.infer<typeof wishlistItemResponse>;
