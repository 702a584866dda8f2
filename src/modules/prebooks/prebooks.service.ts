import type { Deps } from '../../deps.js';
import { isUniqueViolation } from '../../db/errors.js';
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
  findPreBooking,
  insertWaitingPreBooking,
  listPreBookings,
  lockBookForPreBooking,
  preBookingDemand,
  preBookingFilter,
  type PreBookingRow,
  type PreBookingStatus,
} from './prebooks.repository.js';

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
