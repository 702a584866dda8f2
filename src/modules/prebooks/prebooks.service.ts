import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { isUniqueViolation } from '../../db/errors.js';
import { announceWave, materializeRequeued } from '../notifications/notifications.repository.js';
import { enqueueWaveFanout } from './prebooks.jobs.js';
import {
  alreadyCancelled,
  bookInStock,
  bookNotFound,
  duplicatePreBooking,
  preBookingNotFound,
} from './prebooks.errors.js';
import {
  cancelPreBooking,
  countPreBookings,
  deleteWave,
  flipWaiting,
  findPreBooking,
  insertWaitingPreBooking,
  listPreBookings,
  lockBookForPreBooking,
  preBookingDemand,
  preBookingFilter,
  insertWave,
  setWaveNotifiedCount,
  type PreBookingRow,
  type PreBookingStatus,
} from './prebooks.repository.js';

export interface WaveResult {
  /** The wave's id, null when nobody was waiting (then nothing was written). */
  waveId: number | null;
  notified: number;
}

/**
 * Tells waiting readers that copies are available, inside the caller's transaction (which holds the book row
 * FOR UPDATE): one wave. The book's waiting pre-bookings (all of them, or the first `limit` in queue order)
 * become notified, carrying the wave's id; one fan-out job keyed by the wave is added and the wave is announced
 * to the API processes (pg_notify, at commit). That is all the commit writes, whatever the number of readers:
 * after commit the fan-out job e-mails them in batches (cause `restock:<pre_booking_id>:<wave_id>`, once each),
 * and each reader's in-app notification is derived from the wave when first read. A rolled-back transaction
 * leaves no wave, no job and no announcement. `holdUntil` is kept on the wave (a copy held for each reader).
 */
export async function notifyWaiting(
  tx: DbOrTx,
  opts: {
    bookId: number;
    stockChangeId: number | null;
    at: Date;
    storeUrl: string;
    limit?: number;
    holdUntil?: Date | null;
  },
): Promise<WaveResult> {
  if (opts.limit !== undefined && opts.limit <= 0) return { waveId: null, notified: 0 };
  const waveId = await insertWave(tx, {
    bookId: opts.bookId,
    stockChangeId: opts.stockChangeId,
    holdUntil: opts.holdUntil ?? null,
    at: opts.at,
  });
  // A re-queued reader's alert of an earlier wave is kept before this wave takes its place on the row.
  await materializeRequeued(tx, { bookId: opts.bookId, storeUrl: opts.storeUrl });
  const notified = await flipWaiting(tx, {
    bookId: opts.bookId,
    waveId,
    stockChangeId: opts.stockChangeId,
    at: opts.at,
    limit: opts.limit,
  });
  if (notified === 0) {
    await deleteWave(tx, waveId);
    return { waveId: null, notified: 0 };
  }
  await setWaveNotifiedCount(tx, waveId, notified);
  await enqueueWaveFanout(tx, waveId);
  await announceWave(tx, { waveId });
  return { waveId, notified };
}

export function createPreBookingService(deps: Pick<Deps, 'db' | 'clock'>) {
  const { db, clock } = deps;

  return {
    /**
     * Joins the queue for an out-of-stock book. The book row is locked in share mode for the transaction, so a
     * concurrent restock either sees this pre-booking (and notifies it) or has already committed (and this
     * request sees the stock and answers 409).
     */
    async preBook(userId: number, bookId: number): Promise<PreBookingRow> {
      let id: number;
      try {
        id = await db.transaction(async (tx) => {
          const book = await lockBookForPreBooking(tx, bookId);
          if (!book) throw bookNotFound();
          if (book.stockQuantity > 0) throw bookInStock();
          const inserted = await insertWaitingPreBooking(tx, userId, bookId);
          if (inserted === undefined) throw duplicatePreBooking();
          return inserted;
        });
      } catch (err) {
        if (isUniqueViolation(err, 'uq_pre_bookings_user_book_waiting')) throw duplicatePreBooking();
        throw err;
      }
      const row = await findPreBooking(db, id);
      if (!row) throw preBookingNotFound();
      return row;
    },

    async listMine(userId: number): Promise<PreBookingRow[]> {
      return listPreBookings(db, { where: preBookingFilter({ userId }), order: 'newest' });
    },

    async cancel(userId: number, preBookingId: number): Promise<void> {
      const outcome = await cancelPreBooking(db, { id: preBookingId, userId, at: clock.now() });
      if (outcome === 'not-found') throw preBookingNotFound();
      if (outcome === 'already-cancelled') throw alreadyCancelled();
    },

    /** The waitlist for administrators, in queue order (first come first). */
    async listForAdmin(f: { bookId?: number; status?: PreBookingStatus; page: number; perPage: number }) {
      const where = preBookingFilter({ bookId: f.bookId, status: f.status });
      const [rows, total] = await Promise.all([
        listPreBookings(db, { where, order: 'queue', limit: f.perPage, offset: (f.page - 1) * f.perPage }),
        countPreBookings(db, where),
      ]);
      return { rows, total };
    },

    async demand(page: number, perPage: number) {
      return preBookingDemand(db, { limit: perPage, offset: (page - 1) * perPage });
    },
  };
}

export type PreBookingService = ReturnType<typeof createPreBookingService>;
