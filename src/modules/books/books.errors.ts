import { conflict, notFound } from '../../http/errors.js';

/** The errors of the catalogue. `bookNotFound` is every module's answer to an unknown book. */

export const bookNotFound = () => notFound('Book not found', 'BOOK_NOT_FOUND', 'book_id');
export const genreNotFound = () => notFound('Genre not found', 'GENRE_NOT_FOUND', 'genre_id');
export const isbnConflict = () =>
  conflict('A book with this ISBN already exists', 'BOOK_ISBN_CONFLICT', 'isbn');
