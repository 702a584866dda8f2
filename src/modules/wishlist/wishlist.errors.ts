import { conflict, notFound } from '../../http/errors.js';

/** The errors of the wishlist. */

export const duplicate = () =>
  conflict('This book is already on your wishlist', 'WISHLIST_ITEM_DUPLICATE', 'book_id');
export const itemNotFound = () => notFound('Wishlist item not found', 'WISHLIST_ITEM_NOT_FOUND', 'book_id');
export const limitReached = (max: number) =>
  conflict(`A wishlist holds at most ${max} books; remove one first`, 'WISHLIST_LIMIT_REACHED');
