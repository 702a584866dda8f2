import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createAdmin,
  createBook,
  createUser,
  insertOrder,
  type TestUser,
  useTestApp,
} from '../../../test/helpers.js';

const t = useTestApp();

/** A user who bought the book in a confirmed order. */
async function buyer(bookId: number): Promise<TestUser> {
  const user = await createUser(t);
  await insertOrder(t, { userId: user.id, items: [{ bookId, quantity: 1, unitPrice: '10.00' }] });
  return user;
}

function postReview(user: TestUser, bookId: number, payload: unknown) {
  return t.app.inject({
    method: 'POST',
    url: `/books/${bookId}/reviews`,
    headers: user.auth,
    payload: payload as object,
  });
}

async function createReview(user: TestUser, bookId: number, payload: object = { rating: 4, text: 'Good' }) {
  const res = await postReview(user, bookId, payload);
  expect(res.statusCode).toBe(201);
  return res.json<{ id: number; updated_at: string; created_at: string }>();
}

describe('POST /books/{book_id}/reviews', () => {
  it('creates a review of a bought book with the full ReviewResponse', async () => {
    const book = await createBook(t, { title: 'Dune' });
    await t.deps.db.execute(sql`UPDATE books SET cover_image_url = 'http://x/c.png' WHERE id = ${book.id}`);
    const user = await buyer(book.id);
    const res = await postReview(user, book.id, { rating: '5', text: 'Great' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.any(Number),
      book_id: book.id,
      user_id: user.id,
      rating: 5,
      text: 'Great',
      verified_purchase: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/),
      updated_at: body.created_at,
      author: { user_id: user.id, display_name: user.email.split('@')[0], avatar_url: null },
      book: { book_id: book.id, title: 'Dune', cover_image_url: 'http://x/c.png' },
    });
  });

  it('accepts a rating-only review and an empty text', async () => {
    const book = await createBook(t);
    const a = await buyer(book.id);
    const b = await buyer(book.id);
    expect((await postReview(a, book.id, { rating: 1 })).json().text).toBeNull();
    expect((await postReview(b, book.id, { rating: 2, text: '' })).json().text).toBe('');
  });

  it('rejects a rating outside 1..5, a missing rating and a text over 2000 characters with 422', async () => {
    const book = await createBook(t);
    const user = await buyer(book.id);
    for (const [payload, type, loc] of [
      [{ rating: 0 }, 'greater_than_equal', ['body', 'rating']],
      [{ rating: 6 }, 'less_than_equal', ['body', 'rating']],
      [{ rating: 'x' }, 'int_parsing', ['body', 'rating']],
      [{ text: 'a' }, 'missing', ['body', 'rating']],
      [{ rating: 3, text: 'a'.repeat(2001) }, 'string_too_long', ['body', 'text']],
    ] as const) {
      const res = await postReview(user, book.id, payload);
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('VALIDATION_ERROR');
      expect(res.json().detail[0]).toMatchObject({ type, loc });
    }
    const ok = await postReview(user, book.id, { rating: 3, text: '😀'.repeat(2000) });
    expect(ok.statusCode).toBe(201);
  });

  it('rejects a text containing a NUL character with 422 rather than a server error', async () => {
    const book = await createBook(t);
    const user = await buyer(book.id);
    const res = await postReview(user, book.id, { rating: 3, text: 'a\u0000b' });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0].loc).toEqual(['body', 'text']);
  });

  it('answers 404 BOOK_NOT_FOUND for an unknown book', async () => {
    const user = await createUser(t);
    const res = await postReview(user, 999999, { rating: 5 });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Book not found', code: 'BOOK_NOT_FOUND', field: 'book_id' });
  });

  it('answers 403 NOT_PURCHASED without a confirmed order containing the book', async () => {
    const book = await createBook(t);
    const other = await createBook(t);
    const user = await createUser(t);
    await insertOrder(t, {
      userId: user.id,
      items: [{ bookId: book.id, quantity: 1, unitPrice: '10.00' }],
      status: 'payment_failed',
    });
    await insertOrder(t, { userId: user.id, items: [{ bookId: other.id, quantity: 1, unitPrice: '10.00' }] });
    const res = await postReview(user, book.id, { rating: 5 });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      detail: 'You must purchase this book before submitting a review',
      code: 'NOT_PURCHASED',
      field: 'book_id',
    });
  });

  it('answers 409 DUPLICATE_REVIEW with the existing id, before the purchase check', async () => {
    const book = await createBook(t);
    const user = await buyer(book.id);
    const first = await createReview(user, book.id);
    await t.deps.db.execute(sql`UPDATE orders SET status = 'payment_failed' WHERE user_id = ${user.id}`);
    const res = await postReview(user, book.id, { rating: 2 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      detail: 'You have already reviewed this book',
      code: 'DUPLICATE_REVIEW',
      existing_review_id: first.id,
    });
  });

  it('checks 422 before 404: an invalid body for an unknown book is a validation error', async () => {
    const user = await createUser(t);
    const res = await postReview(user, 999999, { rating: 9 });
    expect(res.statusCode).toBe(422);
  });

  it('lets a user review the book again after deleting the earlier review', async () => {
    const book = await createBook(t);
    const user = await buyer(book.id);
    const first = await createReview(user, book.id, { rating: 1 });
    const del = await t.app.inject({ method: 'DELETE', url: `/reviews/${first.id}`, headers: user.auth });
    expect(del.statusCode).toBe(204);
    const second = await postReview(user, book.id, { rating: 5, text: 'Changed my mind' });
    expect(second.statusCode).toBe(201);
    expect(second.json().id).not.toBe(first.id);
    const list = await t.app.inject({ method: 'GET', url: `/books/${book.id}/reviews` });
    expect(list.json().items.map((r: { id: number }) => r.id)).toEqual([second.json().id]);
  });

  it('gives exactly one review and clean 409s for concurrent duplicate creates', async () => {
    const book = await createBook(t);
    const user = await buyer(book.id);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => postReview(user, book.id, { rating: (i % 5) + 1 })),
    );
    const created = results.filter((r) => r.statusCode === 201);
    expect(created).toHaveLength(1);
    const createdId = created[0]!.json().id;
    for (const r of results.filter((x) => x.statusCode !== 201)) {
      expect(r.statusCode).toBe(409);
      expect(r.json()).toEqual({
        detail: 'You have already reviewed this book',
        code: 'DUPLICATE_REVIEW',
        existing_review_id: createdId,
      });
    }
    const rows = await t.deps.db.execute(
      sql`SELECT id FROM reviews WHERE user_id = ${user.id} AND book_id = ${book.id}`,
    );
    expect(rows.rows).toHaveLength(1);
  });

  it('requires authentication before validating the body', async () => {
    const book = await createBook(t);
    const res = await t.app.inject({
      method: 'POST',
      url: `/books/${book.id}/reviews`,
      payload: { rating: 99 },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ detail: 'Not authenticated', code: 'HTTP_401' });
  });

  it('refuses a deactivated account with 403 AUTH_ACCOUNT_DEACTIVATED', async () => {
    const book = await createBook(t);
    const user = await createUser(t, { isActive: false });
    const res = await postReview(user, book.id, { rating: 99 });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_ACCOUNT_DEACTIVATED');
  });
});

describe('GET /books/{book_id}/reviews', () => {
  it('lists live reviews newest first with id as tiebreaker and a verified_purchase per review', async () => {
    const book = await createBook(t);
    const users = await Promise.all([buyer(book.id), buyer(book.id), buyer(book.id), buyer(book.id)]);
    const ids: number[] = [];
    for (const u of users) ids.push((await createReview(u, book.id)).id);
    const [a, b, c, d] = ids as [number, number, number, number];
    // b and c share a timestamp; a is oldest; d is deleted.
    await t.deps.db.execute(sql`UPDATE reviews SET created_at = '2026-01-01T00:00:00Z' WHERE id = ${a}`);
    await t.deps.db.execute(
      sql`UPDATE reviews SET created_at = '2026-02-01T00:00:00Z' WHERE id IN (${b}, ${c})`,
    );
    await t.app.inject({ method: 'DELETE', url: `/reviews/${d}`, headers: users[3].auth });
    // The author of c later has their only order turned into a failed payment: no longer verified.
    await t.deps.db.execute(sql`UPDATE orders SET status = 'payment_failed' WHERE user_id = ${users[2].id}`);

    const res = await t.app.inject({ method: 'GET', url: `/books/${book.id}/reviews` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ total: 3, page: 1, size: 20 });
    expect(body.items.map((r: { id: number }) => r.id)).toEqual([c, b, a]);
    expect(body.items.map((r: { verified_purchase: boolean }) => r.verified_purchase)).toEqual([
      false,
      true,
      true,
    ]);
    expect(body.items[0].created_at).toBe('2026-02-01T00:00:00Z');
  });

  it('paginates with page and size', async () => {
    const book = await createBook(t);
    for (let i = 0; i < 3; i++) await createReview(await buyer(book.id), book.id);
    const res = await t.app.inject({ method: 'GET', url: `/books/${book.id}/reviews?page=2&size=2` });
    expect(res.json()).toMatchObject({ total: 3, page: 2, size: 2 });
    expect(res.json().items).toHaveLength(1);
  });

  it('answers an unknown book with an empty page, not 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/books/987654/reviews' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], total: 0, page: 1, size: 20 });
  });

  it('rejects a size above 100 and a page below 1 with 422', async () => {
    const size = await t.app.inject({ method: 'GET', url: '/books/1/reviews?size=101' });
    expect(size.statusCode).toBe(422);
    expect(size.json().detail[0].loc).toEqual(['query', 'size']);
    const page = await t.app.inject({ method: 'GET', url: '/books/1/reviews?page=0' });
    expect(page.json().detail[0].loc).toEqual(['query', 'page']);
    const path = await t.app.inject({ method: 'GET', url: '/books/abc/reviews' });
    expect(path.json().detail[0]).toMatchObject({ type: 'int_parsing', loc: ['path', 'book_id'] });
  });
});

describe('GET /reviews/{review_id}', () => {
  it('returns a live review publicly and 404 REVIEW_NOT_FOUND once deleted or unknown', async () => {
    const book = await createBook(t);
    const user = await buyer(book.id);
    const review = await createReview(user, book.id);
    const ok = await t.app.inject({ method: 'GET', url: `/reviews/${review.id}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id: review.id, verified_purchase: true });
    await t.app.inject({ method: 'DELETE', url: `/reviews/${review.id}`, headers: user.auth });
    const gone = await t.app.inject({ method: 'GET', url: `/reviews/${review.id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ detail: 'Review not found', code: 'REVIEW_NOT_FOUND' });
    const unknown = await t.app.inject({ method: 'GET', url: '/reviews/99999999' });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('PATCH /reviews/{review_id}', () => {
  async function setup() {
    const book = await createBook(t);
    const user = await buyer(book.id);
    const review = await createReview(user, book.id, { rating: 3, text: 'Fine' });
    // Move updated_at into the past so that a change is visible whatever the clock resolution.
    await t.deps.db.execute(
      sql`UPDATE reviews SET updated_at = '2026-01-01T00:00:00Z', created_at = '2026-01-01T00:00:00Z' WHERE id = ${review.id}`,
    );
    return { book, user, review };
  }
  const patch = (user: TestUser, id: number, payload: object) =>
    t.app.inject({ method: 'PATCH', url: `/reviews/${id}`, headers: user.auth, payload });

  it('leaves everything unchanged for {} and for a null or identical rating', async () => {
    const { user, review } = await setup();
    for (const payload of [
      {},
      { rating: null },
      { rating: 3 },
      { text: 'Fine' },
      { rating: 3, text: 'Fine' },
    ]) {
      const res = await patch(user, review.id, payload);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ rating: 3, text: 'Fine', updated_at: '2026-01-01T00:00:00Z' });
    }
  });

  it('changes the rating and moves updated_at, keeping the text when it is omitted', async () => {
    const { user, review } = await setup();
    const res = await patch(user, review.id, { rating: '5' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ rating: 5, text: 'Fine', verified_purchase: true });
    expect(res.json().updated_at).not.toBe('2026-01-01T00:00:00Z');
    expect(res.json().created_at).toBe('2026-01-01T00:00:00Z');
  });

  it('clears the text with an explicit null', async () => {
    const { user, review } = await setup();
    const res = await patch(user, review.id, { text: null });
    expect(res.json()).toMatchObject({ rating: 3, text: null });
    expect(res.json().updated_at).not.toBe('2026-01-01T00:00:00Z');
  });

  it("answers 403 NOT_REVIEW_OWNER for another user's review, even for an admin", async () => {
    const { review } = await setup();
    const admin = await createAdmin(t);
    const other = await createUser(t);
    for (const caller of [other, admin]) {
      const res = await patch(caller, review.id, { rating: 1 });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({
        detail: 'You can only modify your own reviews',
        code: 'NOT_REVIEW_OWNER',
      });
    }
    const empty = await patch(other, review.id, {});
    expect(empty.statusCode).toBe(403);
  });

  it('answers 404 for a deleted or unknown review and 422 for an invalid rating', async () => {
    const { user, review } = await setup();
    expect((await patch(user, review.id, { rating: 0 })).statusCode).toBe(422);
    expect((await patch(user, review.id, { text: 'x'.repeat(2001) })).statusCode).toBe(422);
    await t.app.inject({ method: 'DELETE', url: `/reviews/${review.id}`, headers: user.auth });
    const res = await patch(user, review.id, { rating: 1 });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('REVIEW_NOT_FOUND');
    expect((await patch(user, 99999999, {})).statusCode).toBe(404);
  });
});

describe('DELETE /reviews/{review_id}', () => {
  it('soft-deletes the review of its author with the application clock', async () => {
    const book = await createBook(t);
    const user = await buyer(book.id);
    const review = await createReview(user, book.id);
    const res = await t.app.inject({ method: 'DELETE', url: `/reviews/${review.id}`, headers: user.auth });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const row = await t.deps.db.execute<{ deleted_at: Date | null }>(
      sql`SELECT deleted_at FROM reviews WHERE id = ${review.id}`,
    );
    expect(row.rows[0]!.deleted_at).not.toBeNull();
    const again = await t.app.inject({ method: 'DELETE', url: `/reviews/${review.id}`, headers: user.auth });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual({ detail: 'Review not found', code: 'REVIEW_NOT_FOUND' });
  });

  it("lets an admin delete anyone's review but not another user", async () => {
    const book = await createBook(t);
    const user = await buyer(book.id);
    const review = await createReview(user, book.id);
    const other = await createUser(t);
    const denied = await t.app.inject({
      method: 'DELETE',
      url: `/reviews/${review.id}`,
      headers: other.auth,
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toEqual({
      detail: 'You can only delete your own reviews',
      code: 'NOT_REVIEW_OWNER',
    });
    const admin = await createAdmin(t);
    const ok = await t.app.inject({ method: 'DELETE', url: `/reviews/${review.id}`, headers: admin.auth });
    expect(ok.statusCode).toBe(204);
  });

  it('takes the admin right from the database, not from the token claim', async () => {
    const book = await createBook(t);
    const user = await buyer(book.id);
    const review = await createReview(user, book.id);
    const demoted = await createAdmin(t);
    await t.deps.db.execute(sql`UPDATE users SET role = 'user' WHERE id = ${demoted.id}`);
    const res = await t.app.inject({ method: 'DELETE', url: `/reviews/${review.id}`, headers: demoted.auth });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('NOT_REVIEW_OWNER');
  });

  it('requires authentication', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/reviews/1' });
    expect(res.statusCode).toBe(401);
  });
});

describe('GET /admin/reviews', () => {
  let admin: TestUser;
  let bookA: { id: number; title: string };
  let bookB: { id: number; title: string };
  const ids: Record<string, number> = {};
  let u1: TestUser;
  let u2: TestUser;

  beforeAll(async () => {
    // A private world: reviews of two books by two users, with chosen dates.
    admin = await createAdmin(t);
    bookA = await createBook(t, { title: 'Moderated A' });
    bookB = await createBook(t, { title: 'Moderated B' });
    u1 = await createUser(t);
    u2 = await createUser(t);
    for (const u of [u1, u2])
      await insertOrder(t, {
        userId: u.id,
        items: [
          { bookId: bookA.id, quantity: 1, unitPrice: '1.00' },
          { bookId: bookB.id, quantity: 1, unitPrice: '1.00' },
        ],
      });
    ids.a1 = (await createReview(u1, bookA.id, { rating: 5, text: 'a1' })).id;
    ids.a2 = (await createReview(u2, bookA.id, { rating: 2, text: 'a2' })).id;
    ids.b1 = (await createReview(u1, bookB.id, { rating: 2, text: 'b1' })).id;
    ids.b2 = (await createReview(u2, bookB.id, { rating: 4, text: 'b2' })).id;
    const at = (id: number, iso: string) =>
      t.deps.db.execute(sql`UPDATE reviews SET created_at = ${iso} WHERE id = ${id}`);
    await at(ids.a1, '2025-01-01T00:00:00Z');
    await at(ids.a2, '2025-01-03T00:00:00Z');
    await at(ids.b1, '2025-01-02T00:00:00Z');
    await at(ids.b2, '2025-01-02T00:00:00Z');
  });

  const list = async (query: string) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/admin/reviews?${query}`,
      headers: admin.auth,
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ items: { id: number }[] } & Record<string, unknown>>();
  };
  const mine = (body: { items: { id: number }[] }) =>
    body.items.map((r) => r.id).filter((id) => Object.values(ids).includes(id));

  it('filters by book and user and returns the moderation item shape', async () => {
    const body = await list(`book_id=${bookA.id}&user_id=${u1.id}`);
    expect(body).toEqual({
      items: [
        {
          id: ids.a1,
          rating: 5,
          text: 'a1',
          created_at: '2025-01-01T00:00:00Z',
          updated_at: expect.any(String),
          author: { user_id: u1.id, display_name: u1.email.split('@')[0] },
          book: { book_id: bookA.id, title: 'Moderated A' },
        },
      ],
      total_count: 1,
      page: 1,
      per_page: 20,
      total_pages: 1,
    });
  });

  it('sorts by date descending by default, ties by id descending', async () => {
    const byBook = async (q: string) => [
      ...mine(await list(`book_id=${bookA.id}&${q}`)),
      ...mine(await list(`book_id=${bookB.id}&${q}`)),
    ];
    expect(await byBook('')).toEqual([ids.a2, ids.a1, ids.b2, ids.b1]);
    expect(await byBook('sort_dir=asc')).toEqual([ids.a1, ids.a2, ids.b2, ids.b1]);
    const byUser = mine(await list(`user_id=${u2.id}&sort_by=date`));
    expect(byUser).toEqual([ids.a2, ids.b2]);
  });

  it('sorts by rating in either direction and filters by rating range', async () => {
    const u1Desc = mine(await list(`user_id=${u1.id}&sort_by=rating`));
    expect(u1Desc).toEqual([ids.a1, ids.b1]);
    const u1Asc = mine(await list(`user_id=${u1.id}&sort_by=rating&sort_dir=asc`));
    expect(u1Asc).toEqual([ids.b1, ids.a1]);
    const twos = mine(await list(`book_id=${bookB.id}&rating_min=2&rating_max=3`));
    expect(twos).toEqual([ids.b1]);
    const none = await list(`book_id=${bookB.id}&rating_min=5&rating_max=1`);
    expect(none).toEqual({ items: [], total_count: 0, page: 1, per_page: 20, total_pages: 0 });
    // Equal ratings fall back to id descending.
    const twosAll = mine(await list(`rating_min=2&rating_max=2&sort_by=rating&sort_dir=asc&per_page=100`));
    expect(twosAll).toEqual([ids.b1, ids.a2]);
  });

  it('paginates with total_pages', async () => {
    const body = await list(`book_id=${bookA.id}&per_page=1&page=2`);
    expect(body).toMatchObject({ total_count: 2, page: 2, per_page: 1, total_pages: 2 });
    expect(body.items.map((r: { id: number }) => r.id)).toEqual([ids.a1]);
  });

  it('rejects bad query values with 422 and the Pydantic error types', async () => {
    for (const [q, type, loc] of [
      ['rating_min=0', 'greater_than_equal', 'rating_min'],
      ['rating_max=6', 'less_than_equal', 'rating_max'],
      ['sort_by=title', 'string_pattern_mismatch', 'sort_by'],
      ['sort_dir=up', 'string_pattern_mismatch', 'sort_dir'],
      ['per_page=101', 'less_than_equal', 'per_page'],
      ['page=0', 'greater_than_equal', 'page'],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url: `/admin/reviews?${q}`, headers: admin.auth });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail[0]).toMatchObject({ type, loc: ['query', loc] });
    }
  });

  it('answers 401 and 403 before validating the query', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/admin/reviews?sort_by=bad' });
    expect(anon.statusCode).toBe(401);
    const user = await createUser(t);
    const res = await t.app.inject({ method: 'GET', url: '/admin/reviews?sort_by=bad', headers: user.auth });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ detail: 'Admin access required', code: 'AUTH_FORBIDDEN' });
  });
});

describe('DELETE /admin/reviews/bulk', () => {
  const bulk = (user: TestUser | null, payload: unknown) =>
    t.app.inject({
      method: 'DELETE',
      url: '/admin/reviews/bulk',
      headers: user ? user.auth : {},
      payload: payload as object,
    });

  it('soft-deletes live reviews once, skipping missing, deleted and duplicate ids', async () => {
    const admin = await createAdmin(t);
    const book = await createBook(t);
    const reviews: number[] = [];
    for (let i = 0; i < 3; i++) reviews.push((await createReview(await buyer(book.id), book.id)).id);
    const [r1, r2, r3] = reviews as [number, number, number];
    await t.deps.db.execute(sql`UPDATE reviews SET deleted_at = now() WHERE id = ${r3}`);
    const res = await bulk(admin, { review_ids: [r1, r1, String(r2), r3, 99999999] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ deleted_count: 2 });
    const live = await t.app.inject({ method: 'GET', url: `/books/${book.id}/reviews` });
    expect(live.json().total).toBe(0);
    expect((await bulk(admin, { review_ids: [r1, r2] })).json()).toEqual({ deleted_count: 0 });
  });

  it('rejects an empty list, more than 50 ids, non-integers and a missing body with 422', async () => {
    const admin = await createAdmin(t);
    const empty = await bulk(admin, { review_ids: [] });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().detail[0]).toMatchObject({ type: 'too_short', loc: ['body', 'review_ids'] });
    const many = await bulk(admin, { review_ids: Array.from({ length: 51 }, (_, i) => i + 1) });
    expect(many.json().detail[0]).toMatchObject({ type: 'too_long', loc: ['body', 'review_ids'] });
    const bad = await bulk(admin, { review_ids: ['x'] });
    expect(bad.json().detail[0]).toMatchObject({ type: 'int_parsing', loc: ['body', 'review_ids', 0] });
    const plain = await t.app.inject({
      method: 'DELETE',
      url: '/admin/reviews/bulk',
      headers: { ...admin.auth, 'content-type': 'text/plain' },
      payload: '{"review_ids": [1]}',
    });
    expect(plain.statusCode).toBe(415);
    const missing = await t.app.inject({ method: 'DELETE', url: '/admin/reviews/bulk', headers: admin.auth });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().detail[0]).toMatchObject({ type: 'missing', loc: ['body'] });
    const fifty = await bulk(admin, { review_ids: Array.from({ length: 50 }, (_, i) => 90000000 + i) });
    expect(fifty.json()).toEqual({ deleted_count: 0 });
  });

  it('answers 401 and 403 before validating the body', async () => {
    expect((await bulk(null, { review_ids: [] })).statusCode).toBe(401);
    const user = await createUser(t);
    const res = await bulk(user, { review_ids: [] });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_FORBIDDEN');
  });
});
