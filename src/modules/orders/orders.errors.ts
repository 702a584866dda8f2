import { AppError, notFound } from '../../http/errors.js';

export interface StockShortage {
  book_id: number;
  requested: number;
  available: number;
}

export const cartEmpty = () =>
  new AppError({ status: 422, detail: 'Cart is empty', code: 'ORDER_CART_EMPTY' });
export const itemsUnavailable = () =>
  new AppError({
    status: 409,
    detail: 'Some items in your cart are no longer available',
    code: 'ORDER_ITEMS_UNAVAILABLE',
  });
export const insufficientStock = (items: StockShortage[]) =>
  new AppError({
    status: 409,
    detail: 'Insufficient stock for one or more items',
    code: 'ORDER_INSUFFICIENT_STOCK',
    extra: {
      items,
    },
  });
export const paymentFailed = () =>
  new AppError({ status: 402, detail: 'Payment declined', code: 'ORDER_PAYMENT_FAILED' });
export const orderNotFound = () => notFound('Order not found', 'ORDER_NOT_FOUND');

export const idempotencyKeyMismatch = () =>
  new AppError({
    status: 422,
    detail: 'This Idempotency-Key was already used for a different checkout; send a new key',
    code: 'IDEMPOTENCY_KEY_MISMATCH',
  });
