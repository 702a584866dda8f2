import { isForeignKeyViolation } from '../../db/errors.js';
import type { Deps } from '../../deps.js';
import type { AuthUser } from '../../http/auth.js';
import { isoDateTime } from '../../http/schemas.js';
import * as repo from './reviews.repository.js';
import type {
  AdminReviewItem,
  AdminReviewsQuery,
  CreateReviewBody,
  ReviewResponse,
  UpdateReviewBody,
} from './reviews.schemas.js';
import {
  duplicateReview,
  notPurchased,
  notReviewOwner,
  reviewDuplicate,
  reviewNotFound,
} from './reviews.errors.js';
import { bookNotFound } from '../books/books.errors.js';

/** The public name of a reviewer: the local part of the e-mail address. */
export const displayName = (email: string) => email.split('@')[0] ?? email;

function toReviewResponse(row: repo.ReviewRow): ReviewResponse {
  return {
    id: row.id,
    book_id: row.bookId,
    user_id: row.userId,
    rating: row.rating,
    text: row.text,
    verified_purchase: row.verifiedPurchase,
    created_at: isoDateTime(row.createdAt),
    updated_at: isoDateTime(row.updatedAt),
    author: { user_id: row.userId, display_name: displayName(row.authorEmail), avatar_url: null },
    book: { book_id: row.bookId, title: row.bookTitle, cover_image_url: row.bookCoverImageUrl },
  };
}

export function createReviewsService({ db, clock }: Deps) {
  async function getReview(reviewId: number): Promise<ReviewResponse> {
    const row = await repo.findReview(db, reviewId);
    if (!row) throw reviewNotFound();
    return toReviewResponse(row);
  }

  return {
    getReview,

    async createReview(user: AuthUser, bookId: number, body: CreateReviewBody): Promise<ReviewResponse> {
      const pre = await repo.findReviewPreconditions(db, user.id, bookId);
      if (!pre) throw bookNotFound();
      if (pre.existingReviewId !== null) throw duplicateReview(pre.existingReviewId);
      if (!pre.purchased) throw notPurchased();

      // A concurrent request of the same user may create (or delete) the live review between our check
      // and the insert; the insert then does nothing and we answer with the review that won.
      for (let attempt = 0; attempt < 3; attempt++) {
        let reviewId: number | undefined;
        try {
          reviewId = await repo.insertReview(db, {
            userId: user.id,
            bookId,
            rating: body.rating,
            text: body.text ?? null,
          });
        } catch (err) {
          if (isForeignKeyViolation(err, 'reviews_book_id_books_id_fk')) throw bookNotFound();
          throw err;
        }
        if (reviewId !== undefined) return getReview(reviewId);
        const existing = await repo.findLiveReviewId(db, user.id, bookId);
        if (existing !== undefined) throw duplicateReview(existing);
      }
      throw reviewDuplicate();
    },

    async listBookReviews(bookId: number, page: number, size: number) {
      const { rows, total } = await repo.listBookReviews(db, bookId, size, (page - 1) * size);
      return { items: rows.map(toReviewResponse), total, page, size };
    },

    async updateReview(user: AuthUser, reviewId: number, body: UpdateReviewBody): Promise<ReviewResponse> {
      const changes: { rating?: number; text?: string | null } = {};
      if (body.rating !== undefined && body.rating !== null) changes.rating = body.rating;
      if (body.text !== undefined) changes.text = body.text;
      const updated = await repo.updateOwnReview(db, reviewId, user.id, changes);
      if (!updated) {
        const owner = await repo.findLiveReviewOwner(db, reviewId);
        if (owner === undefined) throw reviewNotFound();
        throw notReviewOwner('modify');
      }
      return getReview(reviewId);
    },

    async deleteReview(user: AuthUser, reviewId: number): Promise<void> {
      const ownerFilter = user.role === 'admin' ? undefined : user.id;
      if (await repo.softDeleteReview(db, reviewId, clock.now(), ownerFilter)) return;
      const owner = await repo.findLiveReviewOwner(db, reviewId);
      if (owner === undefined) throw reviewNotFound();
      throw notReviewOwner('delete');
    },

    async listForModeration(query: AdminReviewsQuery) {
      const { rows, total } = await repo.listReviewsForModeration(
        db,
        {
          bookId: query.book_id,
          userId: query.user_id,
          ratingMin: query.rating_min,
          ratingMax: query.rating_max,
          sortBy: query.sort_by === 'rating' ? 'rating' : 'date',
          sortDir: query.sort_dir === 'asc' ? 'asc' : 'desc',
        },
        query.per_page,
        (query.page - 1) * query.per_page,
      );
      const items: AdminReviewItem[] = rows.map((row) => ({
        id: row.id,
        rating: row.rating,
        text: row.text,
        created_at: isoDateTime(row.createdAt),
        updated_at: isoDateTime(row.updatedAt),
        author: { user_id: row.userId, display_name: displayName(row.authorEmail) },
        book: { book_id: row.bookId, title: row.bookTitle },
      }));
      return { items, total };
    },

    async bulkDelete(reviewIds: number[]): Promise<number> {
      return repo.softDeleteReviews(db, [...new Set(reviewIds)], clock.now());
    },
  };
}

export type ReviewsService = ReturnType<typeof createReviewsService>;
