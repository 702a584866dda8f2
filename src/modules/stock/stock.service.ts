import type { Config } from '../../config.js';
import { allowLongStatements, type Tx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import type { BookRow } from '../books/books.table.js';
import { bookExists } from '../books/books.service.js';
import { policyDefaults } from '../prebooks/prebooks.holds.js';
import {
  tellReadersOfPolicyChange,
  tellReadersOfStockChange,
  waitingReaders,
} from '../prebooks/prebooks.restock.js';
import { isRestock, settledAllocation } from '../prebooks/prebooks.rules.js';
import {
  decrementStock,
  findPolicy,
  insertOpeningStockChanges,
  insertStockChange,
  listStockChanges,
  lockBookForStockChange,
  lockBooksForSale,
  readBookHoldState,
  setNotifiedCount,
  upsertPolicy,
  writeStock,
  type BookForSale,
  type EffectivePolicy,
} from './stock.repository.js';
import type { RestockPolicy } from './stock.table.js';
import { bookNotFound } from '../books/books.errors.js';

export interface StockChangeResult {
  book: BookRow;
  stockChangeId: number;
  policy: RestockPolicy;
  /** The wave of alerts the change started (null when it notified nobody). */
  waveId: number | null;
  notified: number;
  held: number;
}

type StockConfig = Pick<Config, 'RESTOCK_POLICY' | 'RESTOCK_HOLD_SECONDS' | 'STORE_URL'>;

/**
 * The one way stock is set (PATCH /books/{id}/stock, the catalog import), inside the caller's transaction: locks
 * the book row, writes the new stock, records the change, and has the pre-bookings module tell the waiting readers
 * under the book's restock policy in the same transaction, so that either all of it commits or none:
 * - `broadcast`: a restock from 0 notifies every waiting pre-booking (contract §3.3);
 * - `fifo`: whenever copies are free and readers wait, the first min(available, waiting) in queue order are
 *   notified, each with a copy held for them.
 * On either policy, holds past their expiry end and holds above a lowered stock go back to the queue. The commit
 * writes the flip of the pre-bookings and one wave with its fan-out job; in-app notifications and e-mails follow
 * after commit. A sale takes copies off through sellCopies below, the only other write of a book's stock.
 */
export async function changeStock(
  tx: Tx,
  config: StockConfig,
  opts: { bookId: number; quantity: number; changedBy: number | null; at: Date },
): Promise<StockChangeResult> {
  const locked = await lockBookForStockChange(tx, opts.bookId);
  if (!locked) throw bookNotFound();
  const policy = await findPolicy(tx, opts.bookId, policyDefaults(config));
  const book = await writeStock(tx, opts.bookId, opts.quantity, opts.at);
  const stockChangeId = await insertStockChange(tx, {
    bookId: opts.bookId,
    changedBy: opts.changedBy,
    oldQuantity: locked.stockQuantity,
    newQuantity: opts.quantity,
    policy: policy.policy,
    at: opts.at,
  });
  const told = await tellReadersOfStockChange(
    tx,
    { config, now: opts.at },
    { book, oldQuantity: locked.stockQuantity, stockChangeId, policy },
  );
  if (told.notified > 0 || told.held > 0) {
    await setNotifiedCount(tx, stockChangeId, { notified: told.notified, held: told.held });
  }
  return { book, stockChangeId, policy: policy.policy, ...told };
}

/**
 * For checkout, inside its transaction: locks the rows of the books it sells, in ascending id order (checkouts
 * sharing books cannot deadlock; a stock change or pre-booking of one of them waits). Books that no longer exist
 * are absent.
 */
export function lockBooksForCheckout(tx: Tx, bookIds: number[]): Promise<BookForSale[]> {
  return lockBooksForSale(tx, bookIds);
}

/**
 * For checkout, inside its transaction, on books it locked with lockBooksForCheckout and checked: takes the sold
 * copies off the stock. A sale is not a stock change (no stock_changes row, no restock): the copies held for
 * notified readers were already kept out of what could be sold.
 */
export function sellCopies(tx: Tx, lines: { bookId: number; quantity: number }[]): Promise<void> {
  return decrementStock(tx, lines);
}

/**
 * For the catalog import, inside its transaction: the opening stock of books it has just created (from 0, by
 * nobody), one stock_changes row each. Nobody can wait for a book that did not exist, so nobody is told.
 */
export function recordOpeningStock(tx: Tx, books: { bookId: number; quantity: number }[]): Promise<void> {
  return books.length === 0 ? Promise.resolve() : insertOpeningStockChanges(tx, books);
}

export function createStockService(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log' | 'metrics'>) {
  const { db, clock, config, log, metrics } = deps;
  const defaults = policyDefaults(config);

  async function policyOf(bookId: number): Promise<EffectivePolicy> {
    if (!(await bookExists(db, bookId))) throw bookNotFound();
    return findPolicy(db, bookId, defaults);
  }

  return {
    async setStock(bookId: number, quantity: number, changedBy: number): Promise<BookRow> {
      const started = performance.now();
      // A restock notifies every waiting reader in this one transaction (100 000 take seconds): the long allowance.
      const result = await db.transaction(async (tx) => {
        await allowLongStatements(tx, config.DB_LONG_STATEMENT_TIMEOUT_MS);
        return changeStock(tx, config, { bookId, quantity, changedBy, at: clock.now() });
      });
      if (result.notified > 0) {
        metrics.restockBroadcastSize.observe(result.notified);
        log.info(
          {
            bookId,
            stockChangeId: result.stockChangeId,
            policy: result.policy,
            waveId: result.waveId,
            notified: result.notified,
            held: result.held,
            ms: Math.round(performance.now() - started),
          },
          'restock committed',
        );
      }
      return result.book;
    },

    async history(bookId: number, page: number, perPage: number) {
      if (!(await bookExists(db, bookId))) throw bookNotFound();
      return listStockChanges(db, { bookId, limit: perPage, offset: (page - 1) * perPage });
    },

    policyOf,

    /**
     * Sets the book's policy and settles the book under it in the same transaction: switching to `fifo` holds the
     * free copies for the readers in line; switching to `broadcast` with the book in stock tells every reader still
     * waiting (so that, as the contract has it, nobody is left waiting while the book is in stock). Holds already
     * granted are honoured until they end, whatever the policy.
     */
    async setPolicy(
      bookId: number,
      input: { policy: RestockPolicy; holdSeconds: number },
      changedBy: number,
    ): Promise<EffectivePolicy> {
      await db.transaction(async (tx) => {
        const book = await lockBookForStockChange(tx, bookId);
        if (!book) throw bookNotFound();
        const at = clock.now();
        await upsertPolicy(tx, { bookId, ...input, updatedBy: changedBy, at });
        const policy: EffectivePolicy = { ...input, source: 'book' };
        const told = await tellReadersOfPolicyChange(
          tx,
          { config, now: at },
          {
            book,
            policy,
            recordStockChange: () =>
              insertStockChange(tx, {
                bookId,
                changedBy,
                oldQuantity: book.stockQuantity,
                newQuantity: book.stockQuantity,
                policy: 'broadcast',
                at,
              }),
          },
        );
        if (told.stockChangeId !== null) {
          await setNotifiedCount(tx, told.stockChangeId, { notified: told.notified, held: told.held });
        }
      });
      return policyOf(bookId);
    },

    /** Stock, held copies, available copies and waiting readers, as the next checkout would find them. */
    async availability(bookId: number) {
      const state = await readBookHoldState(db, { bookId, now: clock.now(), defaults });
      if (!state) throw bookNotFound();
      const settled = settledAllocation({
        policy: state.policy.policy,
        stockQuantity: state.stockQuantity,
        held: state.held,
        waiting: state.waiting,
      });
      return {
        book_id: bookId,
        stock_quantity: state.stockQuantity,
        held: settled.held,
        available: settled.available,
        waiting: settled.waiting,
        policy: state.policy.policy,
      };
    },

    /** What setting the stock to `quantity` would do now under the book's policy, without doing it. */
    async preview(bookId: number, quantity: number) {
      const state = await readBookHoldState(db, { bookId, now: clock.now(), defaults });
      if (!state) throw bookNotFound();
      const restock = isRestock(state.stockQuantity, quantity);
      const after = settledAllocation({
        policy: 'fifo',
        stockQuantity: quantity,
        held: state.held,
        waiting: state.waiting,
      });
      const fifo = state.policy.policy === 'fifo';
      const waiting = await waitingReaders(db, bookId, fifo ? after.toNotify : 0);
      let notifyCount: number;
      let emailCount: number;
      let heldCount: number;
      if (fifo) {
        notifyCount = after.toNotify;
        heldCount = after.held;
        emailCount = waiting.activeAmongFirst;
      } else {
        const wouldNotify = restock && waiting.waiting > 0;
        notifyCount = wouldNotify ? waiting.waiting : 0;
        emailCount = wouldNotify ? waiting.activeAccounts : 0;
        heldCount = Math.min(state.held, quantity);
      }
      return {
        book_id: bookId,
        current_stock: state.stockQuantity,
        quantity,
        is_restock: restock,
        would_notify: notifyCount > 0,
        waiting_count: waiting.waiting,
        notify_count: notifyCount,
        email_count: emailCount,
        policy: state.policy.policy,
        held_count: heldCount,
        available_count: Math.max(quantity - heldCount, 0),
      };
    },
  };
}

export type StockService = ReturnType<typeof createStockService>;
