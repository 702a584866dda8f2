import { allowLongStatements, type DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { notFound } from '../../http/errors.js';
import type { BookRow } from '../books/books.table.js';
import { countWaiting } from '../prebooks/prebooks.repository.js';
import { notifyWaiting } from '../prebooks/prebooks.service.js';
import { findBookById } from '../books/books.repository.js';
import {
  insertStockChange,
  listStockChanges,
  lockBookForStockChange,
  setNotifiedCount,
  writeStock,
} from './stock.repository.js';

const bookNotFound = () => notFound('Book not found', 'BOOK_NOT_FOUND', 'book_id');

/** Only a move from zero to a positive stock is a restock (contract §3.3): it notifies the waiting readers. */
export const isRestock = (oldQuantity: number, newQuantity: number) => oldQuantity === 0 && newQuantity > 0;

export interface StockChangeResult {
  book: BookRow;
  stockChangeId: number;
  /** The wave of alerts the change started (null when it notified nobody). */
  waveId: number | null;
  notified: number;
}

/**
 * The one way stock changes, inside the caller's transaction: locks the book row, writes the new stock, records
 * the change and, on a restock, notifies every waiting pre-booking (one wave: the flip, one fan-out job, the
 * announcement) in the same transaction, so that either all of it commits or none.
 */
export async function changeStock(
  tx: DbOrTx,
  opts: { bookId: number; quantity: number; changedBy: number | null; at: Date; storeUrl: string },
): Promise<StockChangeResult> {
  const locked = await lockBookForStockChange(tx, opts.bookId);
  if (!locked) throw bookNotFound();
  const book = await writeStock(tx, opts.bookId, opts.quantity, opts.at);
  const stockChangeId = await insertStockChange(tx, {
    bookId: opts.bookId,
    changedBy: opts.changedBy,
    oldQuantity: locked.stockQuantity,
    newQuantity: opts.quantity,
    at: opts.at,
  });
  if (!isRestock(locked.stockQuantity, opts.quantity)) {
    return { book, stockChangeId, waveId: null, notified: 0 };
  }
  const { waveId, notified } = await notifyWaiting(tx, {
    bookId: opts.bookId,
    stockChangeId,
    at: opts.at,
    storeUrl: opts.storeUrl,
  });
  if (notified > 0) await setNotifiedCount(tx, stockChangeId, notified);
  return { book, stockChangeId, waveId, notified };
}

export function createStockService(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log' | 'metrics'>) {
  const { db, clock, config, log, metrics } = deps;

  return {
    async setStock(bookId: number, quantity: number, changedBy: number): Promise<BookRow> {
      const started = performance.now();
      // A restock notifies every waiting reader in this one transaction (100 000 take seconds): the long allowance.
      const result = await db.transaction(async (tx) => {
        await allowLongStatements(tx, config.DB_LONG_STATEMENT_TIMEOUT_MS);
        return changeStock(tx, { bookId, quantity, changedBy, at: clock.now(), storeUrl: config.STORE_URL });
      });
      if (result.notified > 0) {
        metrics.restockBroadcastSize.observe(result.notified);
        log.info(
          {
            bookId,
            stockChangeId: result.stockChangeId,
            waveId: result.waveId,
            notified: result.notified,
            ms: Math.round(performance.now() - started),
          },
          'restock committed',
        );
      }
      return result.book;
    },

    async history(bookId: number, page: number, perPage: number) {
      if (!(await findBookById(db, bookId))) throw bookNotFound();
      return listStockChanges(db, { bookId, limit: perPage, offset: (page - 1) * perPage });
    },

    /** What setting the stock to `quantity` would do now, without doing it. */
    async preview(bookId: number, quantity: number) {
      const book = await findBookById(db, bookId);
      if (!book) throw bookNotFound();
      const waiting = await countWaiting(db, bookId);
      const wouldNotify = isRestock(book.stockQuantity, quantity) && waiting.waiting > 0;
      return {
        book_id: book.id,
        current_stock: book.stockQuantity,
        quantity,
        is_restock: isRestock(book.stockQuantity, quantity),
        would_notify: wouldNotify,
        waiting_count: waiting.waiting,
        notify_count: wouldNotify ? waiting.waiting : 0,
        email_count: wouldNotify ? waiting.activeAccounts : 0,
      };
    },
  };
}

export type StockService = ReturnType<typeof createStockService>;
