/**
 * The stock module's entry points for the modules that act on a book's stock inside their own transaction (the
 * pre-bookings module: holds, re-queues, expiries): the book row's lock, which every stock change takes first, and
 * the book's restock policy and hold state. They are the stock repository's functions, named here so that no
 * other module imports the repository itself.
 */
export {
  findPolicy,
  lockBookForStockChange,
  readBookHoldState,
  type EffectivePolicy,
  type PolicyDefaults,
} from './stock.repository.js';
