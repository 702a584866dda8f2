import { z } from 'zod';
import {
  adminPageEnvelope,
  adminPageQuery,
  dateTime,
  INT32_MAX,
  isoDateTime,
  laxInt,
} from '../../http/schemas.js';
import type { EffectivePolicy, StockChangeRow } from './stock.repository.js';
import { MAX_HOLD_SECONDS, MIN_HOLD_SECONDS, RESTOCK_POLICIES } from './stock.table.js';

export const restockPolicy = z.enum(RESTOCK_POLICIES).meta({
  description: '`broadcast`: every waiting reader is told at once; `fifo`: one reader per free copy, held',
});

export const stockUpdateBody = z
  .object({ quantity: laxInt({ min: 0, max: INT32_MAX }).meta({ description: 'The new absolute stock' }) })
  .meta({ id: 'StockUpdate' });

export const historyQuery = z.object(adminPageQuery);

export const previewQuery = z.object({
  quantity: laxInt({ min: 0, max: INT32_MAX }).meta({ description: 'The stock to preview' }),
});

export const stockChangeResponse = z
  .object({
    id: z.int(),
    book_id: z.int(),
    changed_by: z
      .int()
      .nullable()
      .meta({ description: 'The administrator (null once the account is deleted)' }),
    changed_by_email: z.string().nullable(),
    old_quantity: z.int(),
    new_quantity: z.int(),
    notified_count: z.int().meta({ description: 'Pre-bookings this change notified' }),
    held_count: z.int().meta({ description: 'Copies held for readers right after the change (fifo holds)' }),
    policy: restockPolicy,
    created_at: dateTime,
  })
  .meta({ id: 'StockChangeResponse' });

export const stockChangeListResponse = adminPageEnvelope(stockChangeResponse).meta({
  id: 'StockChangeListResponse',
});

export const restockPreviewResponse = z
  .object({
    book_id: z.int(),
    current_stock: z.int(),
    quantity: z.int(),
    is_restock: z.boolean().meta({ description: 'true when the stock would go from 0 to a positive number' }),
    would_notify: z.boolean(),
    waiting_count: z.int().meta({ description: 'Pre-bookings waiting for the book now' }),
    notify_count: z.int().meta({ description: 'Pre-bookings the change would notify' }),
    email_count: z.int().meta({ description: 'Restock e-mails it would send (active accounts only)' }),
    policy: restockPolicy,
    held_count: z.int().meta({ description: 'Copies that would be held for readers after the change' }),
    available_count: z.int().meta({ description: 'Copies that would be free for anyone after the change' }),
  })
  .meta({ id: 'RestockPreviewResponse' });

export function toStockChangeResponse(row: StockChangeRow): z.infer<typeof stockChangeResponse> {
  return {
    id: row.id,
    book_id: row.bookId,
    changed_by: row.changedBy,
    changed_by_email: row.changedByEmail,
    old_quantity: row.oldQuantity,
    new_quantity: row.newQuantity,
    notified_count: row.notifiedCount,
    held_count: row.heldCount,
    policy: row.policy,
    created_at: isoDateTime(row.createdAt),
  };
}

export const restockPolicyBody = z
  .object({
    policy: restockPolicy,
    hold_seconds: laxInt({ min: MIN_HOLD_SECONDS, max: MAX_HOLD_SECONDS }).meta({
      description: 'How long a copy is held for a notified reader (fifo), in seconds',
    }),
  })
  .meta({ id: 'RestockPolicyUpdate' });

export const restockPolicyResponse = z
  .object({
    book_id: z.int(),
    policy: restockPolicy,
    hold_seconds: z.int(),
    source: z
      .enum(['book', 'default'])
      .meta({ description: '`book`: set for this book; `default`: RESTOCK_POLICY / RESTOCK_HOLD_SECONDS' }),
  })
  .meta({ id: 'RestockPolicy' });

export const availabilityResponse = z
  .object({
    book_id: z.int(),
    stock_quantity: z.int(),
    held: z.int().meta({ description: 'Copies held for notified readers (fifo)' }),
    available: z.int().meta({ description: 'stock_quantity − held: copies anyone may buy' }),
    waiting: z.int().meta({ description: 'Readers waiting in the queue' }),
    policy: restockPolicy,
  })
  .meta({ id: 'BookAvailability' });

export function toRestockPolicyResponse(
  bookId: number,
  p: EffectivePolicy,
): z.infer<typeof restockPolicyResponse> {
  return { book_id: bookId, policy: p.policy, hold_seconds: p.holdSeconds, source: p.source };
}
