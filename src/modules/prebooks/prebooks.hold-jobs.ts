import { sql } from 'drizzle-orm';
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { recurringCron } from '../../jobs/maintenance.js';
import { lockBookForStockChange } from '../stock/stock.locks.js';
import { settleBook, type Settlement } from './prebooks.holds.js';
import { HOLD_EXPIRY_TASK, holdExpiryJobKey } from './prebooks.jobs.js';
import { booksWithDueHolds, findPreBookingRef } from './prebooks.repository.js';
import { preBookings } from './prebooks.table.js';

export const HOLD_SWEEP_TASK = 'prebook-hold-sweep';

/** Settles one book in a transaction of its own, with its row locked first. */
export async function settleBookNow(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  bookId: number,
): Promise<Settlement | undefined> {
  return deps.db.transaction(async (tx) => {
    const book = await lockBookForStockChange(tx, bookId);
    if (!book) return undefined;
    return settleBook(tx, { config: deps.config, now: deps.clock.now() }, book);
  });
}

const payloadSchema = z.object({ pre_booking_id: z.int() });

/**
 * The expiry of one hold: settles its book under the book lock, which ends the hold if it is still active and due
 * and passes the copy on, exactly once whatever else (the holder's checkout, a restock, another expiry, a second
 * worker, a re-run after a crash) races it. If this worker's clock is behind the one that granted the hold, the
 * job moves itself to the hold's end; the periodic sweep catches anything missed.
 */
export function holdExpiryTask(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>): Task {
  return async (payload, helpers) => {
    const { pre_booking_id: id } = payloadSchema.parse(payload);
    const ref = await findPreBookingRef(deps.db, id);
    if (!ref) return;
    const settled = await settleBookNow(deps, ref.bookId);
    if (settled && (settled.expired.length > 0 || settled.notified > 0)) {
      deps.log.info(
        { bookId: ref.bookId, expired: settled.expired, notified: settled.notified, waveId: settled.waveId },
        'holds expired and passed on',
      );
    }
    const [row] = await deps.db
      .select({ holdExpiresAt: preBookings.holdExpiresAt })
      .from(preBookings)
      .where(
        sql`${preBookings.id} = ${id} AND ${preBookings.status} = 'notified'
          AND ${preBookings.holdExpiredAt} IS NULL AND ${preBookings.convertedAt} IS NULL`,
      );
    if (row?.holdExpiresAt && row.holdExpiresAt > deps.clock.now()) {
      await helpers.addJob(
        HOLD_EXPIRY_TASK,
        { pre_booking_id: id },
        {
          jobKey: holdExpiryJobKey(id),
          runAt: row.holdExpiresAt,
        },
      );
    }
  };
}

/** Every minute: catches any expiry whose job was missed (e.g. a worker down at the time). */
export const holdSweepCron = recurringCron(HOLD_SWEEP_TASK, '* * * * *');

const SWEEP_BOOKS_PER_RUN = 100;

export function holdSweepTask(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>): Task {
  return async () => {
    const bookIds = await booksWithDueHolds(deps.db, { now: deps.clock.now(), limit: SWEEP_BOOKS_PER_RUN });
    for (const bookId of bookIds) {
      const settled = await settleBookNow(deps, bookId);
      if (settled && settled.expired.length > 0)
        deps.log.info(
          { bookId, expired: settled.expired, notified: settled.notified, waveId: settled.waveId },
          'sweep: holds expired and passed on',
        );
    }
  };
}
