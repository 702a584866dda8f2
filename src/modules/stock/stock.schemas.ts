import { z } from 'zod';
import {
  adminPageEnvelope,
  adminPageQuery,
  dateTime,
  INT32_MAX,
  isoDateTime,
  laxInt,
} from '../../http/schemas.js';
import type { StockChangeRow } from './stock.repository.js';

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
    created_at: isoDateTime(row.createdAt),
  };
}
