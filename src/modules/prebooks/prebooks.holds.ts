import type { Config } from '../../config.js';
import type { DbOrTx } from '../../db/client.js';
import { findPolicy, type EffectivePolicy, type PolicyDefaults } from '../stock/stock.locks.js';
import { scheduleHoldExpiries } from './prebooks.jobs.js';
import {
  countActiveHolds,
  expireDueHolds,
  holdCounts,
  recordPreBookingConversions,
  requeueNewestHolds,
} from './prebooks.repository.js';
import { notifyWaiting } from './prebooks.waves.js';

/** The book as locked (FOR UPDATE) by the caller, after any stock change of the transaction. */
export interface LockedBook {
  id: number;
  title: string;
  author: string;
  stockQuantity: number;
}

export interface HoldSettings {
  config: Pick<Config, 'RESTOCK_POLICY' | 'RESTOCK_HOLD_SECONDS' | 'STORE_URL'>;
  now: Date;
}

export interface Settlement {
  policy: EffectivePolicy;
  /** Pre-bookings whose unused hold ended now. */
  expired: number[];
  /** Holds handed back to the queue because the stock fell below them. */
  requeued: number[];
  /** The wave that told readers now (fifo), each with a copy held until `holdUntil`; null when none. */
  waveId: number | null;
  notified: number;
  holdUntil: Date | null;
  /** Copies held for readers once settled. */
  held: number;
}

export const policyDefaults = (config: HoldSettings['config']): PolicyDefaults => ({
  policy: config.RESTOCK_POLICY,
  holdSeconds: config.RESTOCK_HOLD_SECONDS,
});

/**
 * Brings the holds of one book up to date, inside the caller's transaction, which holds the book row FOR UPDATE
 * (every path that changes what is held or available for a book locks that row first, so settlements of one book
 * run one after the other and each sees the previous one committed):
 * 1. holds past hold_expires_at end (hold_expired_at; the copy is free again) — exactly once, since the UPDATE only
 *    matches holds that are still active;
 * 2. if the stock is now below the held copies, the most recently granted holds go back to the queue;
 * 3. on `fifo`, every free copy is held for the next waiting reader in queue order: one wave (notifyWaiting with
 *    a limit and holdUntil: e-mails and in-app notifications after commit) and one expiry job per hold.
 * Idempotent: a second settlement at the same instant changes nothing.
 */
export async function settleBook(
  tx: DbOrTx,
  settings: HoldSettings,
  book: LockedBook,
  opts: { stockChangeId?: number | null; policy?: EffectivePolicy } = {},
): Promise<Settlement> {
  const { now, config } = settings;
  const policy = opts.policy ?? (await findPolicy(tx, book.id, policyDefaults(config)));
  const expired = await expireDueHolds(tx, { bookId: book.id, now });
  let held = await countActiveHolds(tx, book.id);
  const requeued =
    held > book.stockQuantity
      ? await requeueNewestHolds(tx, { bookId: book.id, count: held - book.stockQuantity })
      : [];
  held -= requeued.length;
  let waveId: number | null = null;
  let notified = 0;
  let holdUntil: Date | null = null;
  if (policy.policy === 'fifo' && book.stockQuantity > held) {
    holdUntil = new Date(now.getTime() + policy.holdSeconds * 1000);
    ({ waveId, notified } = await notifyWaiting(tx, {
      bookId: book.id,
      stockChangeId: opts.stockChangeId ?? null,
      at: now,
      storeUrl: config.STORE_URL,
      limit: book.stockQuantity - held,
      holdUntil,
    }));
    held += notified;
    if (waveId !== null) await scheduleHoldExpiries(tx, { bookId: book.id, waveId, at: holdUntil });
  }
  return { policy, expired, requeued, waveId, notified, holdUntil: waveId === null ? null : holdUntil, held };
}

/**
 * For a checkout that holds the rows of `books` FOR UPDATE (ascending id): settles the books that have holds past
 * their expiry (so that an expired hold is neither counted nor usable), then answers per book how many copies are
 * held for others and how many for the buyer. A book absent from the map holds nothing.
 */
export async function holdsForCheckout(
  tx: DbOrTx,
  settings: HoldSettings & { onExpired?: (bookIds: number[]) => void },
  books: LockedBook[],
  userId: number,
): Promise<Map<number, { heldForOthers: number; heldForBuyer: number }>> {
  const bookIds = books.map((b) => b.id);
  let counts = await holdCounts(tx, { bookIds, now: settings.now, userId });
  const due = books.filter((b) => (counts.get(b.id)?.due ?? 0) > 0);
  if (due.length > 0) {
    settings.onExpired?.(due.map((b) => b.id));
    for (const book of due) await settleBook(tx, settings, book);
    counts = await holdCounts(tx, { bookIds, now: settings.now, userId });
  }
  return new Map(
    [...counts].map(([bookId, c]) => [bookId, { heldForOthers: c.held - c.own, heldForBuyer: c.own }]),
  );
}

/**
 * For a checkout, inside its transaction, once its order is written: the buyer's notified pre-bookings of the
 * ordered books are converted (they point to the order), which also consumes the copy held for each. Returns the
 * converted pre-booking ids.
 */
export function convertPreBookingsOnCheckout(
  tx: DbOrTx,
  opts: { userId: number; orderId: number; bookIds: number[]; at: Date },
): Promise<number[]> {
  return recordPreBookingConversions(tx, opts);
}
