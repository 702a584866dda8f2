import { createHash, randomBytes } from 'node:crypto';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { isoDateTime } from '../../http/schemas.js';
import {
  announceWave,
  consumeStreamTicket,
  findAccount,
  countUnread,
  insertStreamTicket,
  listNotifications,
  markAllRead,
  markRead,
  materializeForUser,
  materializeRequeued,
  type NotificationRow,
} from './notifications.repository.js';
import { invalidTicket, notificationNotFound } from './notifications.errors.js';

export const STREAM_TICKET_TTL_SECONDS = 60;

const hashTicket = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

/**
 * For a restock wave, inside its transaction: stores the alerts of earlier waves still pending for the book's
 * re-queued readers, before the new wave takes their place on the pre-booking (a wave's own alerts are derived
 * from it when first read).
 */
export function keepRequeuedAlerts(tx: DbOrTx, opts: { bookId: number; storeUrl: string }): Promise<void> {
  return materializeRequeued(tx, opts);
}

/** For a restock wave, inside its transaction: every API process hears of it at commit and pushes it live. */
export function announceRestockWave(tx: DbOrTx, opts: { waveId: number }): Promise<void> {
  return announceWave(tx, opts);
}

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
