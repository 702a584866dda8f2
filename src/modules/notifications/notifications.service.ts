import { createHash, randomBytes } from 'node:crypto';
import type { Deps } from '../../deps.js';
import { isoDateTime } from '../../http/schemas.js';
import {
  consumeStreamTicket,
  findAccount,
  countUnread,
  insertStreamTicket,
  listNotifications,
  markAllRead,
  markRead,
  materializeForUser,
  type NotificationRow,
} from './notifications.repository.js';
import { invalidTicket, notificationNotFound } from './notifications.errors.js';

export const STREAM_TICKET_TTL_SECONDS = 60;

const hashTicket = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

export function createNotificationService(deps: Pick<Deps, 'db' | 'clock' | 'config'>) {
  const { db, clock, config } = deps;
  /** A restock stores no notification rows: the user's are stored here, before anything reads them. */
  const materialize = (userId: number) => materializeForUser(db, { userId, storeUrl: config.STORE_URL });

  return {
    async list(userId: number, opts: { unreadOnly: boolean; page: number; size: number }) {
      await materialize(userId);
      return listNotifications(db, {
        userId,
        unreadOnly: opts.unreadOnly,
        limit: opts.size,
        offset: (opts.page - 1) * opts.size,
      });
    },

    async markRead(userId: number, id: number): Promise<NotificationRow> {
      const row = await markRead(db, { userId, id, at: clock.now() });
      if (!row) throw notificationNotFound();
      return row;
    },

    async markAllRead(userId: number) {
      await materialize(userId);
      const updated = await markAllRead(db, { userId, at: clock.now() });
      return { updated, unread_count: await countUnread(db, userId) };
    },

    /** A single-use ticket for the stream, valid 60 seconds; only its SHA-256 is stored. */
    async issueStreamTicket(userId: number) {
      const ticket = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + STREAM_TICKET_TTL_SECONDS * 1000);
      await insertStreamTicket(db, { userId, tokenHash: hashTicket(ticket), expiresAt, at: now });
      return { ticket, expires_at: isoDateTime(expiresAt), expires_in: STREAM_TICKET_TTL_SECONDS };
    },

    /** Spends a ticket; the account it was issued to. */
    async redeemStreamTicket(ticket: string) {
      const userId = await consumeStreamTicket(db, { tokenHash: hashTicket(ticket), at: clock.now() });
      const account = userId === undefined ? undefined : await findAccount(db, userId);
      if (!account) throw invalidTicket();
      return account;
    },

    async unreadCount(userId: number) {
      await materialize(userId);
      return countUnread(db, userId);
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
