import type { Deps } from '../../deps.js';
import { settleBookNow } from './prebooks.hold-jobs.js';
import { convertPreBookingsOnCheckout, holdsForCheckout, type LockedBook } from './prebooks.holds.js';

/**
 * What the pre-bookings give a checkout (the orders service's CheckoutPreBookings, wired in src/services.ts):
 * the copies held for notified readers, the conversion of the buyer's own pre-bookings, and the passing on of
 * holds a refused checkout found expired.
 */
export function checkoutPreBookings(deps: Pick<Deps, 'db' | 'clock' | 'config'>) {
  return {
    holdsFor: (
      tx: Parameters<typeof holdsForCheckout>[0],
      books: LockedBook[],
      userId: number,
      onExpired: (bookIds: number[]) => void,
    ) => holdsForCheckout(tx, { config: deps.config, now: deps.clock.now(), onExpired }, books, userId),
    convert: convertPreBookingsOnCheckout,
    passOnExpiredHolds: (bookId: number) => settleBookNow(deps, bookId),
  };
}
