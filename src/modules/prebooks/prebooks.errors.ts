import type { AppError } from '../../http/errors.js';
import { conflict, notFound } from '../../http/errors.js';

export { bookNotFound } from '../books/books.errors.js';
export const bookInStock = (): AppError =>
  conflict('Book is in stock — add to cart instead', 'PREBOOK_BOOK_IN_STOCK', 'book_id');
export const duplicatePreBooking = (): AppError =>
  conflict('You already have an active pre-booking for this book', 'PREBOOK_DUPLICATE', 'book_id');
export const preBookingNotFound = (): AppError => notFound('Pre-booking not found', 'PREBOOK_NOT_FOUND');
export const alreadyCancelled = (): AppError =>
  conflict('Pre-booking is already cancelled', 'PREBOOK_ALREADY_CANCELLED');
export const notRequeueable = (): AppError =>
  conflict(
    'Only a notified pre-booking whose hold expired, or on broadcast whose book is out of stock again, can be re-queued',
    'PREBOOK_NOT_REQUEUEABLE',
  );
export const limitReached = (max: number): AppError =>
  conflict(`A reader waits for at most ${max} books; cancel a pre-booking first`, 'PREBOOK_LIMIT_REACHED');
