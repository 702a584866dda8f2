import { z } from 'zod';
import { dateTime, idParams, isoDateTime, laxBool, pageQuery } from '../../http/schemas.js';
import type { NotificationRow } from './notifications.repository.js';

export const notificationResponse = z
  .object({
    id: z.int(),
    type: z.string().meta({ example: 'restock' }),
    title: z.string(),
    body: z.string(),
    book_id: z.int().nullable(),
    pre_booking_id: z.int().nullable(),
    data: z.record(z.string(), z.unknown()),
    created_at: dateTime,
    read_at: dateTime.nullable(),
    is_read: z.boolean(),
  })
  .meta({ id: 'NotificationResponse' });

export type NotificationResponse = z.infer<typeof notificationResponse>;

export const listQuery = z.object({
  ...pageQuery,
  unread: laxBool().optional().meta({ description: 'true: only unread notifications' }),
});

export const notificationList = z
  .object({
    items: z.array(notificationResponse),
    total: z.int(),
    page: z.int(),
    size: z.int(),
    unread_count: z.int(),
  })
  .meta({ id: 'NotificationListResponse' });

export const notificationParams = idParams('notification_id', 'Id of the notification');

export const readAllResponse = z
  .object({ updated: z.int(), unread_count: z.int() })
  .meta({ id: 'ReadAllResponse' });

export const streamTicketResponse = z
  .object({
    ticket: z.string(),
    expires_at: dateTime,
    expires_in: z.int().meta({ description: 'Seconds' }),
  })
  .meta({ id: 'StreamTicketResponse' });

export const streamQuery = z.object({
  ticket: z.string().min(1).max(200).optional().meta({ description: 'Single-use ticket (for EventSource)' }),
});

export function toNotificationResponse(row: NotificationRow): NotificationResponse {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    body: row.body,
    book_id: row.bookId,
    pre_booking_id: row.preBookingId,
    data: (row.data ?? {}) as Record<string, unknown>,
    created_at: isoDateTime(row.createdAt),
    read_at: isoDateTime(row.readAt),
    is_read: row.readAt !== null,
  };
}
