import { conflict, forbidden, notFound } from '../../http/errors.js';

export { bookNotFound } from '../books/books.errors.js';
export const bookOutOfStock = () =>
  conflict('This book is out of stock and cannot be added to cart', 'CART_BOOK_OUT_OF_STOCK', 'book_id');
export const cartItemDuplicate = () =>
  conflict('This book is already in your cart', 'CART_ITEM_DUPLICATE', 'book_id');
export const cartItemNotFound = () => notFound('Cart item not found', 'CART_ITEM_NOT_FOUND', 'item_id');
export const cartItemForbidden = () =>
  forbidden('Not authorized to modify this cart item', 'CART_ITEM_FORBIDDEN');
export const cartLimitReached = (max: number) =>
  conflict(`A cart holds at most ${max} books; remove one first`, 'CART_LIMIT_REACHED');
