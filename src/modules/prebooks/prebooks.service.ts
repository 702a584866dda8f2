import type { DbOrTx, Tx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { isUniqueViolation } from '../../db/errors.js';
import { lockUserCollection } from '../../db/locks.js';
import { findPolicy, lockBookForStockChange, readBookHoldState } from '../stock/stock.locks.js';
import { createCancelLinks } from './prebooks.cancel-link.js';
import {
  alreadyCancelled,
  bookInStock,
  bookNotFound,
  duplicatePreBooking,
  limitReached,
  notRequeueable,
  preBookingNotFound,
} from './prebooks.errors.js';
import { policyDefaults, settleBook } from './prebooks.holds.js';
import {
  cancelPreBooking,
  countPreBookings,
  countWaitingOfUser,
  findPreBooking,
  findPreBookingRef,
  hasActivePreBooking,
  insertWaitingPreBooking,
  listPreBookings,
  lockBookForPreBooking,
  preBookingDemand,
  preBookingFilter,
  requeuePreBooking,
  type PreBookingRow,
  type PreBookingStatus,
} from './prebooks.repository.js';
import { settledAllocation } from './prebooks.rules.js';

/** Books one reader may wait for at a time (README "Bounded per-user collections and streams"). */
export const MAX_WAITING_PREBOOKINGS = 100;

/**
 * Refuses one more `waiting` pre-booking of the user past the cap. The caller took the user's pre-booking lock
 * (lockUserCollection) at the start of its transaction, before the book's row lock, so that concurrent requests
 * cannot pass the cap together.
 */
async function ensureWaitingSlot(tx: Tx, userId: number): Promise<void> {
  if ((await countWaitingOfUser(tx, userId)) >= MAX_WAITING_PREBOOKINGS)
    throw limitReached(MAX_WAITING_PREBOOKINGS);
}

export function createPreBookingService(deps: Pick<Deps, 'db' | 'clock' | 'config'>) {
  const { db, clock, config } = deps;
  const defaults = policyDefaults(config);
  const links = createCancelLinks(config.SECRET_KEY, config.PUBLIC_BASE_URL);

  async function reload(id: number): Promise<PreBookingRow> {
    const row = await findPreBooking(db, id);
    if (!row) throw preBookingNotFound();
    return row;
  }

  /**
   * Cancels inside a transaction that locks the book row first, so that a released hold passes on to the next
   * reader in line (fifo) in the same transaction, and a cancel cannot slip between a wave's choice and its write.
   */
  async function cancelLocked(
    tx: DbOrTx,
    ref: { id: number; userId: number; bookId: number },
  ): Promise<'cancelled' | 'already-cancelled' | 'not-found'> {
    const book = await lockBookForStockChange(tx, ref.bookId);
    if (!book) return 'not-found';
    const now = clock.now();
    const outcome = await cancelPreBooking(tx, { id: ref.id, userId: ref.userId, at: now });
    if (outcome === 'cancelled') await settleBook(tx, { config, now }, book);
    return outcome;
  }

  return {
    /**
     * Joins the queue of a book. The book row is locked in share mode for the transaction, so a concurrent restock
     * either sees this pre-booking (and notifies it) or has already committed (and this request sees the stock).
     * Out of stock: always accepted. In stock: 409 PREBOOK_BOOK_IN_STOCK, except on `fifo` when every copy is
     * held for readers in line (nothing is available): then the reader joins the queue too.
     */
    async preBook(userId: number, bookId: number): Promise<PreBookingRow> {
      let id: number;
      try {
        id = await db.transaction(async (tx) => {
          await lockUserCollection(tx, 'prebooks', userId);
          const book = await lockBookForPreBooking(tx, bookId);
          if (!book) throw bookNotFound();
          if (book.stockQuantity > 0) {
            const state = await readBookHoldState(tx, { bookId, now: clock.now(), defaults });
            if (!state || state.policy.policy !== 'fifo') throw bookInStock();
            const settled = settledAllocation({
              policy: 'fifo',
              stockQuantity: state.stockQuantity,
              held: state.held,
              waiting: state.waiting,
            });
            if (settled.available > 0) throw bookInStock();
            if (await hasActivePreBooking(tx, { userId, bookId })) throw duplicatePreBooking();
          }
          await ensureWaitingSlot(tx, userId);
          const inserted = await insertWaitingPreBooking(tx, userId, bookId);
          if (inserted === undefined) throw duplicatePreBooking();
          return inserted;
        });
      } catch (err) {
        if (isUniqueViolation(err, 'uq_pre_bookings_user_book_waiting')) throw duplicatePreBooking();
        throw err;
      }
      return reload(id);
    },

    async listMine(userId: number): Promise<PreBookingRow[]> {
      return listPreBookings(db, { where: preBookingFilter({ userId }), order: 'newest' });
    },

    async cancel(userId: number, preBookingId: number): Promise<void> {
      const outcome = await db.transaction(async (tx) => {
        const ref = await findPreBookingRef(tx, preBookingId);
        if (!ref || ref.userId !== userId) return 'not-found';
        return cancelLocked(tx, ref);
      });
      if (outcome === 'not-found') throw preBookingNotFound();
      if (outcome === 'already-cancelled') throw alreadyCancelled();
    },

    /** Whether `token` is the one-click cancel token of the pre-booking (constant-time). */
    verifyCancelToken: (preBookingId: number, token: string) => links.verify(preBookingId, token),

    /**
     * The one-click cancel of an alert's List-Unsubscribe link: no login, the token names the pre-booking.
     * Idempotent, as RFC 8058 wants: cancelling an already cancelled one reports so and changes nothing.
     */
    async cancelByLink(preBookingId: number, token: string): Promise<'cancelled' | 'already-cancelled'> {
      if (!links.verify(preBookingId, token)) throw preBookingNotFound();
      const outcome = await db.transaction(async (tx) => {
        const ref = await findPreBookingRef(tx, preBookingId);
        if (!ref) return 'not-found';
        return cancelLocked(tx, ref);
      });
      if (outcome === 'not-found') throw preBookingNotFound();
      return outcome;
    },

    /** The pre-booking a cancel link names, for its confirmation page (only after the token is verified). */
    async findForLink(preBookingId: number, token: string): Promise<PreBookingRow> {
      if (!links.verify(preBookingId, token)) throw preBookingNotFound();
      return reload(preBookingId);
    },

    /**
     * Puts a notified pre-booking back in the queue at its original place (its created_at): allowed when its hold
     * expired, or on `broadcast` when the book is out of stock again. On `fifo`, a free copy is then held for the
     * first reader in line at once, which may be this one.
     */
    async requeue(userId: number, preBookingId: number): Promise<PreBookingRow> {
      try {
        await db.transaction(async (tx) => {
          const ref = await findPreBookingRef(tx, preBookingId);
          if (!ref || ref.userId !== userId) throw preBookingNotFound();
          await lockUserCollection(tx, 'prebooks', userId);
          const book = await lockBookForStockChange(tx, ref.bookId);
          if (!book) throw preBookingNotFound();
          const now = clock.now();
          const policy = await findPolicy(tx, book.id, defaults);
          // Ends the hold first if it is past its expiry but no job has ended it yet.
          await settleBook(tx, { config, now }, book, { policy });
          const row = await findPreBookingRef(tx, preBookingId);
          if (!row) throw preBookingNotFound();
          const holdExpired = row.status === 'notified' && row.holdExpiredAt !== null;
          const broadcastOutOfStock =
            row.status === 'notified' &&
            row.holdExpiresAt === null &&
            policy.policy === 'broadcast' &&
            book.stockQuantity === 0;
          if (!holdExpired && !broadcastOutOfStock) throw notRequeueable();
          if (await hasActivePreBooking(tx, { userId, bookId: book.id, exceptId: preBookingId }))
            throw duplicatePreBooking();
          await ensureWaitingSlot(tx, userId);
          await requeuePreBooking(tx, preBookingId);
          await settleBook(tx, { config, now }, book, { policy });
        });
      } catch (err) {
        if (isUniqueViolation(err, 'uq_pre_bookings_user_book_waiting')) throw duplicatePreBooking();
        throw err;
      }
      return reload(preBookingId);
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
