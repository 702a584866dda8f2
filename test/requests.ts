import type { TestApp, TestUser } from './helpers.js';

// The requests that many test files send, each written once. A file binds them to its app and caller:
//   const setStock = (bookId: number, quantity: number) => patchStock(t.app, admin, bookId, quantity);

/** PATCH /books/{id}/stock by `caller` (an administrator, or not, to test the guard). */
export const patchStock = (app: TestApp, caller: TestUser, bookId: number, quantity: unknown) =>
  app.inject({ method: 'PATCH', url: `/books/${bookId}/stock`, headers: caller.auth, payload: { quantity } });

/** POST /prebooks: `user` pre-books the book. */
export const postPreBooking = (app: TestApp, user: TestUser, bookId: number | string) =>
  app.inject({ method: 'POST', url: '/prebooks', headers: user.auth, payload: { book_id: bookId } });
