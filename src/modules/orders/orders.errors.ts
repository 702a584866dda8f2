import { AppError, notFound } from '../../http/errors.js';

export interface StockShortage {
  book_id: number;
  requested: number;
  available: number;
}

export const cartEmpty = () => new AppError(422, 'Cart is empty', 'ORDER_CART_EMPTY');
export const itemsUnavailable = () =>
  new AppError(409, 'Some items in your cart are no longer available', 'ORDER_ITEMS_UNAVAILABLE');
export const insufficientStock = (items: StockShortage[]) =>
  new AppError(409, 'Insufficient stock for one or more items', 'ORDER_INSUFFICIENT_STOCK', undefined, {
    items,
  });
export const paymentFailed = () => new AppError(402, 'Payment declined', 'ORDER_PAYMENT_FAILED');
export const orderNotFound = () => notFound('Order not found', 'ORDER_NOT_FOUND');

export const idempotencyKeyMismatch = () =>
  new AppError(
    422,
    'This Idempotency-Key was already used for a different checkout; send a new key',
    'IDEMPOTENCY_KEY_MISMATCH',
  );
