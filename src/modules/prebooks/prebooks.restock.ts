import type { DbOrTx } from '../../db/client.js';
import type { EffectivePolicy } from '../stock/stock.locks.js';
import { settleBook, type HoldSettings, type LockedBook } from './prebooks.holds.js';
import { countActiveAmongFirstWaiting, countWaiting, countWaitingOnly } from './prebooks.repository.js';
import { isRestock } from './prebooks.rules.js';
import { notifyWaiting } from './prebooks.waves.js';

/**
 * What the stock module asks of the pre-bookings: how a change of a book's stock or restock policy reaches the
 * readers waiting for it. Each function runs inside the caller's transaction, which holds the book row FOR UPDATE
 * and has written the change (and, for a stock change, its stock_changes row) already.
 */

export interface ReadersTold {
  /** The wave of alerts that told readers (null when nobody was told). */
  waveId: number | null;
  notified: number;
  /** Copies held for readers once settled. */
  held: number;
}

/**
 * After the stock of `book` went from `oldQuantity` to `book.stockQuantity`: holds past their expiry end and holds
 * above a lowered stock go back to the queue; on `fifo`, every free copy is held for the next reader in line; on
 * `broadcast`, a restock from 0 tells every waiting reader (contract §3.3).
 */
export async function tellReadersOfStockChange(
  tx: DbOrTx,
  settings: HoldSettings,
  opts: { book: LockedBook; oldQuantity: number; stockChangeId: number; policy: EffectivePolicy },
): Promise<ReadersTold> {
  const { book, policy, stockChangeId } = opts;
  const settled = await settleBook(tx, settings, book, { stockChangeId, policy });
  if (policy.policy === 'broadcast' && isRestock(opts.oldQuantity, book.stockQuantity)) {
    const told = await notifyWaiting(tx, {
      bookId: book.id,
      stockChangeId,
      at: settings.now,
      storeUrl: settings.config.STORE_URL,
    });
    return { ...told, held: settled.held };
  }
  return { waveId: settled.waveId, notified: settled.notified, held: settled.held };
}

/**
 * After the book's policy was set to `policy` (its stock unchanged): settles the book under it (switching to
 * `fifo` holds the free copies for the readers in line). Switching to `broadcast` with the book in stock tells
 * the readers who joined the queue while every copy was held, so that nobody is left waiting while the book is in
 * stock; `recordStockChange` writes the stock change that tells them (it is what notified them) and gives its id.
 * Holds already granted are honoured until they end, whatever the policy.
 */
export async function tellReadersOfPolicyChange(
  tx: DbOrTx,
  settings: HoldSettings,
  opts: { book: LockedBook; policy: EffectivePolicy; recordStockChange: () => Promise<number> },
): Promise<ReadersTold & { stockChangeId: number | null }> {
  const { book, policy } = opts;
  const settled = await settleBook(tx, settings, book, { policy });
  if (policy.policy === 'broadcast' && book.stockQuantity > 0 && (await countWaitingOnly(tx, book.id)) > 0) {
    const stockChangeId = await opts.recordStockChange();
    const told = await notifyWaiting(tx, {
      bookId: book.id,
      stockChangeId,
      at: settings.now,
      storeUrl: settings.config.STORE_URL,
    });
    return { ...told, held: settled.held, stockChangeId };
  }
  return { waveId: settled.waveId, notified: settled.notified, held: settled.held, stockChangeId: null };
}

/**
 * The queue of a book as a stock preview counts it: waiting readers, those with an active account, and (`first`)
 * how many of the first `first` in queue order have one (the e-mails a fifo wave of that size would send).
 */
export async function waitingReaders(
  db: DbOrTx,
  bookId: number,
  first: number,
): Promise<{ waiting: number; activeAccounts: number; activeAmongFirst: number }> {
  const { waiting, activeAccounts } = await countWaiting(db, bookId);
  const activeAmongFirst = first > 0 ? await countActiveAmongFirstWaiting(db, { bookId, limit: first }) : 0;
  return { waiting, activeAccounts, activeAmongFirst };
}
