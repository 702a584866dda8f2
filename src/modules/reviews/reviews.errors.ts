import { AppError, conflict, forbidden, notFound } from '../../http/errors.js';

/** The errors of reviews and their moderation. */

export const reviewNotFound = () => notFound('Review not found', 'REVIEW_NOT_FOUND');
export const duplicateReview = (existingReviewId: number) =>
  new AppError({
    status: 409,
    detail: 'You have already reviewed this book',
    code: 'DUPLICATE_REVIEW',
    extra: {
      existing_review_id: existingReviewId,
    },
  });
export const notPurchased = () =>
  forbidden('You must purchase this book before submitting a review', 'NOT_PURCHASED', 'book_id');
/** The review kept colliding with one that was deleted again before it could be named (three tries). */
export const reviewDuplicate = () =>
  conflict('You have already reviewed this book', 'REVIEW_DUPLICATE', 'book_id');
export const notReviewOwner = (action: 'modify' | 'delete') =>
  forbidden(`You can only ${action} your own reviews`, 'NOT_REVIEW_OWNER');
