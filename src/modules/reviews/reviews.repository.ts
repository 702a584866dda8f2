import { and, asc, count, desc, eq, gte, inArray, isNull, lte, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { books } from '../books/books.table.js';
import { orderItems, orders } from '../orders/orders.table.js';
import { users } from '../users/users.table.js';
import { reviews } from './reviews.table.js';

/** True when the user has a confirmed order containing the book (the verified-purchase rule). */
const hasPurchased = (userId: SQL | number, bookId: SQL | number) =>
  sql<boolean>`exists (
    select 1 from ${orders} o join ${orderItems} oi on oi.order_id = o.id
    where o.user_id = ${userId} and oi.book_id = ${bookId} and o.status = 'confirmed'
  )`;

const live = isNull(reviews.deletedAt);

// verified_purchase is one correlated EXISTS inside the list query, not a query per review.
const reviewColumns = {
  id: reviews.id,
  bookId: reviews.bookId,
  userId: reviews.userId,
  rating: reviews.rating,
  text: reviews.text,
  createdAt: reviews.createdAt,
  updatedAt: reviews.updatedAt,
  authorEmail: users.email,
  bookTitle: books.title,
  bookCoverImageUrl: books.coverImageUrl,
  // Qualified by hand: Drizzle leaves column names unqualified in single-table queries, where inside the
  // subquery they would silently bind to the orders table.
  verifiedPurchase: hasPurchased(sql.raw('"reviews"."user_id"'), sql.raw('"reviews"."book_id"')),
};

export interface ReviewRow {
  id: number;
  bookId: number;
  userId: number;
  rating: number;
  text: string | null;
  createdAt: Date;
  updatedAt: Date;
  authorEmail: string;
  bookTitle: string;
  bookCoverImageUrl: string | null;
  verifiedPurchase: boolean;
}

function selectReviews(db: DbOrTx) {
  return db
    .select(reviewColumns)
    .from(reviews)
    .innerJoin(users, eq(users.id, reviews.userId))
    .innerJoin(books, eq(books.id, reviews.bookId));
}

export async function findReview(db: DbOrTx, reviewId: number): Promise<ReviewRow | undefined> {
  const rows = await selectReviews(db).where(and(eq(reviews.id, reviewId), live));
  return rows[0];
}

export async function listBookReviews(
  db: DbOrTx,
  bookId: number,
  limit: number,
  offset: number,
): Promise<{ rows: ReviewRow[]; total: number }> {
  const where = and(eq(reviews.bookId, bookId), live);
  const [rows, totals] = await Promise.all([
    selectReviews(db)
      .where(where)
      .orderBy(desc(reviews.createdAt), desc(reviews.id))
      .limit(limit)
      .offset(offset),
    db.select({ total: count() }).from(reviews).where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

/** What creating a review of the book by the user depends on; undefined when the book does not exist. */
export async function findReviewPreconditions(
  db: DbOrTx,
  userId: number,
  bookId: number,
): Promise<{ existingReviewId: number | null; purchased: boolean } | undefined> {
  const rows = await db
    .select({
      existingReviewId: sql<number | null>`(
        select r.id from ${reviews} r where r.user_id = ${userId} and r.book_id = ${bookId} and r.deleted_at is null
      )`,
      purchased: hasPurchased(userId, bookId),
    })
    .from(books)
    .where(eq(books.id, bookId));
  return rows[0];
}

/** Inserts the review unless the user already has a live one for the book (then returns undefined). */
export async function insertReview(
  db: DbOrTx,
  values: { userId: number; bookId: number; rating: number; text: string | null },
): Promise<number | undefined> {
  const rows = await db
    .insert(reviews)
    .values(values)
    .onConflictDoNothing({ target: [reviews.userId, reviews.bookId], where: live })
    .returning({ id: reviews.id });
  return rows[0]?.id;
}

export async function findLiveReviewId(
  db: DbOrTx,
  userId: number,
  bookId: number,
): Promise<number | undefined> {
  const rows = await db
    .select({ id: reviews.id })
    .from(reviews)
    .where(and(eq(reviews.userId, userId), eq(reviews.bookId, bookId), live));
  return rows[0]?.id;
}

export async function findLiveReviewOwner(db: DbOrTx, reviewId: number): Promise<number | undefined> {
  const rows = await db
    .select({ userId: reviews.userId })
    .from(reviews)
    .where(and(eq(reviews.id, reviewId), live));
  return rows[0]?.userId;
}

/**
 * Applies the given changes to the user's own live review; `updated_at` moves only when a value really
 * changes. Returns false when no such review of that user exists.
 */
export async function updateOwnReview(
  db: DbOrTx,
  reviewId: number,
  userId: number,
  changes: { rating?: number; text?: string | null },
): Promise<boolean> {
  const differs: SQL[] = [];
  if (changes.rating !== undefined) differs.push(sql`${reviews.rating} is distinct from ${changes.rating}`);
  if (changes.text !== undefined) differs.push(sql`${reviews.text} is distinct from ${changes.text}`);
  if (differs.length === 0) return (await findLiveReviewOwner(db, reviewId)) === userId;
  const rows = await db
    .update(reviews)
    .set({
      ...changes,
      updatedAt: sql`case when ${sql.join(differs, sql` or `)} then now() else ${reviews.updatedAt} end`,
    })
    .where(and(eq(reviews.id, reviewId), eq(reviews.userId, userId), live))
    .returning({ id: reviews.id });
  return rows.length > 0;
}

/** Soft-deletes a live review; with `ownerId` only if it belongs to that user. */
export async function softDeleteReview(
  db: DbOrTx,
  reviewId: number,
  at: Date,
  ownerId?: number,
): Promise<boolean> {
  const rows = await db
    .update(reviews)
    .set({ deletedAt: at })
    .where(
      and(eq(reviews.id, reviewId), live, ownerId === undefined ? undefined : eq(reviews.userId, ownerId)),
    )
    .returning({ id: reviews.id });
  return rows.length > 0;
}

/** Soft-deletes those of the ids that are live, in one statement; returns how many it deleted. */
export async function softDeleteReviews(db: DbOrTx, reviewIds: number[], at: Date): Promise<number> {
  const rows = await db
    .update(reviews)
    .set({ deletedAt: at })
    .where(and(inArray(reviews.id, reviewIds), live))
    .returning({ id: reviews.id });
  return rows.length;
}

export interface AdminReviewFilter {
  bookId?: number;
  userId?: number;
  ratingMin?: number;
  ratingMax?: number;
  sortBy: 'date' | 'rating';
  sortDir: 'asc' | 'desc';
}

export async function listReviewsForModeration(
  db: DbOrTx,
  filter: AdminReviewFilter,
  limit: number,
  offset: number,
) {
  const where = and(
    live,
    filter.bookId === undefined ? undefined : eq(reviews.bookId, filter.bookId),
    filter.userId === undefined ? undefined : eq(reviews.userId, filter.userId),
    filter.ratingMin === undefined ? undefined : gte(reviews.rating, filter.ratingMin),
    filter.ratingMax === undefined ? undefined : lte(reviews.rating, filter.ratingMax),
  );
  const column = filter.sortBy === 'rating' ? reviews.rating : reviews.createdAt;
  const [rows, totals] = await Promise.all([
    db
      .select({
        id: reviews.id,
        rating: reviews.rating,
        text: reviews.text,
        createdAt: reviews.createdAt,
        updatedAt: reviews.updatedAt,
        userId: reviews.userId,
        authorEmail: users.email,
        bookId: reviews.bookId,
        bookTitle: books.title,
      })
      .from(reviews)
      .innerJoin(users, eq(users.id, reviews.userId))
      .innerJoin(books, eq(books.id, reviews.bookId))
      .where(where)
      .orderBy(filter.sortDir === 'asc' ? asc(column) : desc(column), desc(reviews.id))
      .limit(limit)
      .offset(offset),
    db.select({ total: count() }).from(reviews).where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}
