import { z } from 'zod';
import {
  adminPageEnvelope,
  adminPageQuery,
  dateTime,
  idParams,
  isoDateTime,
  laxInt,
} from '../../http/schemas.js';
import { PRE_BOOKING_STATUSES } from './prebooks.table.js';
import type { DemandRow, PreBookingRow } from './prebooks.repository.js';

export const preBookingStatus = z.enum(PRE_BOOKING_STATUSES);

export const createPreBookingBody = z.object({ book_id: laxInt() }).meta({ id: 'PreBookCreate' });

export const preBookingParams = idParams('prebook_id', 'Id of the pre-booking');

export const preBookingResponse = z
  .object({
    id: z.int(),
    book_id: z.int(),
    book_title: z.string(),
    book_author: z.string(),
    status: preBookingStatus,
    created_at: dateTime,
    notified_at: dateTime.nullable(),
    cancelled_at: dateTime.nullable(),
    queue_position: z.int().nullable().meta({
      description: '1-based place in the queue of the book (first come, first served); null unless waiting',
    }),
    stock_change_id: z
      .int()
      .nullable()
      .meta({ description: 'The stock change that notified this pre-booking' }),
    converted_order_id: z
      .int()
      .nullable()
      .meta({ description: 'The order that bought the book after the alert' }),
    converted_at: dateTime.nullable(),
    hold_expires_at: dateTime.nullable().meta({
      description: 'Until when a copy is held for this reader (restock policy fifo); null when none was held',
    }),
    hold_expired_at: dateTime.nullable().meta({
      description: 'When the held copy went unused and passed to the next reader; null otherwise',
    }),
  })
  .meta({ id: 'PreBookResponse' });

export const preBookingList = z
  .object({ items: z.array(preBookingResponse) })
  .meta({ id: 'PreBookListResponse' });

export const adminPreBookingResponse = preBookingResponse
  .extend({ user_id: z.int(), user_email: z.string() })
  .meta({ id: 'AdminPreBookResponse' });

export const adminPreBookingList = adminPageEnvelope(adminPreBookingResponse).meta({
  id: 'AdminPreBookListResponse',
});

export const adminPreBookingQuery = z.object({
  ...adminPageQuery,
  book_id: laxInt().optional().meta({ description: 'Only the pre-bookings of this book' }),
  status: preBookingStatus.optional().meta({ description: 'Only pre-bookings in this status' }),
});

export const demandQuery = z.object(adminPageQuery);

export const demandItem = z
  .object({
    book_id: z.int(),
    title: z.string(),
    author: z.string(),
    stock_quantity: z.int(),
    waiting_count: z.int(),
    oldest_waiting_since: dateTime.nullable(),
    notified_count: z.int(),
    converted_count: z.int(),
    cancelled_count: z.int(),
    held_count: z.int().meta({ description: 'Copies held now for notified readers (fifo)' }),
    expired_hold_count: z
      .int()
      .meta({ description: 'Holds that expired unused, over all time (a re-queued reader may add more)' }),
    conversion_rate: z
      .number()
      .nullable()
      .meta({ description: 'converted / notified, rounded to 4 places; null when nobody was notified' }),
  })
  .meta({ id: 'PreBookDemandItem' });

export const demandList = adminPageEnvelope(demandItem).meta({ id: 'PreBookDemandListResponse' });

export function toPreBookingResponse(row: PreBookingRow): z.infer<typeof preBookingResponse> {
  return {
    id: row.id,
    book_id: row.bookId,
    book_title: row.bookTitle,
    book_author: row.bookAuthor,
    status: row.status,
    created_at: isoDateTime(row.createdAt),
    notified_at: isoDateTime(row.notifiedAt),
    cancelled_at: isoDateTime(row.cancelledAt),
    queue_position: row.queuePosition,
    stock_change_id: row.stockChangeId,
    converted_order_id: row.convertedOrderId,
    converted_at: isoDateTime(row.convertedAt),
    hold_expires_at: isoDateTime(row.holdExpiresAt),
    hold_expired_at: isoDateTime(row.holdExpiredAt),
  };
}

export function toAdminPreBookingResponse(row: PreBookingRow): z.infer<typeof adminPreBookingResponse> {
  return { ...toPreBookingResponse(row), user_id: row.userId, user_email: row.userEmail };
}

export function toDemandItem(row: DemandRow): z.infer<typeof demandItem> {
  return {
    book_id: row.bookId,
    title: row.title,
    author: row.author,
    stock_quantity: row.stockQuantity,
    waiting_count: row.waitingCount,
    oldest_waiting_since: isoDateTime(row.oldestWaitingSince),
    notified_count: row.notifiedCount,
    converted_count: row.convertedCount,
    cancelled_count: row.cancelledCount,
    held_count: row.heldCount,
    expired_hold_count: row.expiredHoldCount,
    conversion_rate:
      row.notifiedCount === 0 ? null : Math.round((row.convertedCount / row.notifiedCount) * 10_000) / 10_000,
  };
}

export const oneClickCancelQuery = z.object({
  token: z.string().min(1).max(200).meta({ description: 'The token of the link in the restock e-mail' }),
});

export const oneClickCancelPage = z.string().meta({ description: 'A small HTML page' });
