import { z } from 'zod';
import { dateTime, idParams, laxBool, money } from '../../http/schemas.js';

export const checkoutBody = z.object({
  force_payment_failure: laxBool().default(false),
});

export const checkoutHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .meta({ description: 'Makes a retried checkout return the first order instead of placing a second one' }),
});

export const orderParams = idParams('order_id');

export const orderItemResponse = z.object({
  id: z.int(),
  book_id: z.int().nullable(),
  quantity: z.int(),
  unit_price: money,
  book: z
    .object({
      id: z.int(),
      title: z.string(),
      author: z.string(),
      cover_image_url: z.string().nullable(),
      price: money.nullable(),
    })
    .nullable(),
});

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
export type OrderItemResponse = z.infer<typeof orderItemResponse>;
