import { z } from 'zod';
import { dateTime, idParams, laxBool, money } from '../../http/schemas.js';

export const checkoutBody = z
  .object({
    force_payment_failure: laxBool()
      .default(false)
      .meta({ description: 'Always decline the mock payment (for trying the 402 path)' }),
  })
  .meta({ id: 'CheckoutRequest' });

export const checkoutHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .meta({ description: 'Makes a retried checkout return the first order instead of placing a second one' }),
});

export const orderParams = idParams('order_id', 'Id of the order');

/** The book of an order line as it is now (null once the book is deleted). */
export const orderItemBookSummary = z
  .object({
    id: z.int(),
    title: z.string(),
    author: z.string(),
    cover_image_url: z.string().nullable(),
    price: money.nullable(),
  })
  .meta({ id: 'OrderItemBookSummary' });

export const orderItemResponse = z
  .object({
    id: z.int(),
    book_id: z.int().nullable(),
    quantity: z.int(),
    unit_price: money.meta({ description: 'Price of one copy when the order was placed' }),
    book: orderItemBookSummary.nullable(),
  })
  .meta({ id: 'OrderItemResponse' });

export const orderResponse = z
  .object({
    id: z.int(),
    status: z.enum(['confirmed', 'payment_failed']),
    created_at: dateTime,
    items: z.array(orderItemResponse),
    total_price: money,
  })
  .meta({ id: 'OrderResponse' });

export type OrderResponse = z.infer<typeof orderResponse>;

/** An order as administrators see it: with the buyer. */
export const adminOrderResponse = orderResponse
  .extend({
    user_id: z.int().meta({ description: 'The buyer' }),
    user_email: z.string().meta({ description: "The buyer's e-mail address" }),
  })
  .meta({ id: 'AdminOrderResponse' });

export type AdminOrderResponse = z.infer<typeof adminOrderResponse>;
export type OrderItemResponse = z.infer<typeof orderItemResponse>;
