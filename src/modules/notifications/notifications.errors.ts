import { AppError, notFound, unauthorized } from '../../http/errors.js';

/** The errors of notifications and their live streams. */

export const invalidTicket = () =>
  unauthorized('Invalid or expired stream ticket', 'NOTIFICATION_TICKET_INVALID');
export const notificationNotFound = () => notFound('Notification not found', 'NOTIFICATION_NOT_FOUND');

const RETRY_AFTER_SECONDS = '10';
export const perUserLimit = (max: number) =>
  new AppError({
    status: 429,
    detail: `Too many open notification streams for this account (at most ${max}); close one first`,
    code: 'STREAM_LIMIT_REACHED',
    headers: { 'Retry-After': RETRY_AFTER_SECONDS },
  });
export const processLimit = () =>
  new AppError({
    status: 503,
    detail: 'Too many open notification streams on this server; retry later',
    code: 'SERVICE_UNAVAILABLE',
    headers: { 'Retry-After': RETRY_AFTER_SECONDS },
  });
