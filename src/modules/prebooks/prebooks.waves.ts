import type { DbOrTx } from '../../db/client.js';
import { announceRestockWave, keepRequeuedAlerts } from '../notifications/notifications.service.js';
import { enqueueWaveFanout } from './prebooks.jobs.js';
import { deleteWave, flipWaiting, insertWave, setWaveNotifiedCount } from './prebooks.repository.js';

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
 * leaves no wave, no job and no announcement. `holdUntil`: a copy is held for each reader of the wave until then
 * (fifo), kept on the wave and on each pre-booking (hold_expires_at).
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
  await keepRequeuedAlerts(tx, { bookId: opts.bookId, storeUrl: opts.storeUrl });
  const notified = await flipWaiting(tx, {
    bookId: opts.bookId,
    waveId,
    stockChangeId: opts.stockChangeId,
    at: opts.at,
    limit: opts.limit,
    holdUntil: opts.holdUntil ?? null,
  });
  if (notified === 0) {
    await deleteWave(tx, waveId);
    return { waveId: null, notified: 0 };
  }
  await setWaveNotifiedCount(tx, waveId, notified);
  await enqueueWaveFanout(tx, waveId);
  await announceRestockWave(tx, { waveId });
  return { waveId, notified };
}
