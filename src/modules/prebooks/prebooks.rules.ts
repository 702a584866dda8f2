import type { RestockPolicy } from '../stock/stock.table.js';

/** Only a move from zero to a positive stock is a restock (contract §3.3): on `broadcast` it tells every waiting reader. */
export const isRestock = (oldQuantity: number, newQuantity: number) => oldQuantity === 0 && newQuantity > 0;

export interface AllocationInput {
  policy: RestockPolicy;
  stockQuantity: number;
  /** Active holds whose hold_expires_at is still ahead. */
  held: number;
  waiting: number;
}

export interface Allocation {
  held: number;
  available: number;
  waiting: number;
  /** Readers the settlement would notify now (each with a hold on `fifo`). */
  toNotify: number;
  /** Holds that would go back to the queue because the stock fell below them. */
  toRequeue: number;
}

/**
 * What a book's counts are once it is settled — the due holds ended, holds above the stock handed back to the
 * queue, and on `fifo` every free copy held for the next reader in line — which is what the next transaction that
 * locks the book does (prebooks.holds.ts). Readers use it to answer without writing.
 */
export function settledAllocation(input: AllocationInput): Allocation {
  const stock = Math.max(input.stockQuantity, 0);
  let held = input.held;
  let waiting = input.waiting;
  const toRequeue = Math.max(held - stock, 0);
  held -= toRequeue;
  waiting += toRequeue;
  const toNotify = input.policy === 'fifo' ? Math.min(stock - held, waiting) : 0;
  held += toNotify;
  waiting -= toNotify;
  return { held, available: stock - held, waiting, toNotify, toRequeue };
}
