import { z } from 'zod';
import { idParams, laxInt, money } from '../../http/schemas.js';

export const MAX_CART_QUANTITY = 999;

export const addCartItemBody = z
  .object({
    book_id: laxInt(),
    quantity: laxInt({ min: 1, max: MAX_CART_QUANTITY }).default(1),
  })
  .meta({ id: 'CartItemAdd' });

export const updateCartItemBody = z
  .object({
    quantity: laxInt({ min: 1, max: MAX_CART_QUANTITY }),
  })
  .meta({ id: 'CartItemUpdate' });

export const cartItemParams = idParams('item_id', 'Id of the cart item');

/** The book of a cart line, with its current price. */
export const cartBookSummary = z
  .object({
    id: z.int(),
    title: z.string(),
    author: z.string(),
    price: money,
    cover_image_url: z.string().nullable(),
  })
  .meta({ id: 'CartBookSummary' });

export const cartItemResponse = z
  .object({
    id: z.int(),
    book_id: z.int(),
    quantity: z.int(),
    book: cartBookSummary,
  })
  .meta({ id: 'CartItemResponse' });

export const cartResponse = z
  .object({
    items: z.array(cartItemResponse),
    total_items: z.int(),
    total_price: money,
  })
  .meta({ id: 'CartResponse' });

export type CartItemResponse = z.infer<typeof cartItemResponse>;
export type CartResponse = z.infer<typeof cartResponse>;
