import { z } from 'zod';
import {
  adminPageEnvelope,
  adminPageQuery,
  dateTime,
  idParams,
  laxInt,
  pageEnvelope,
  pageQuery,
} from '../../http/schemas.js';
import { pgText } from '../../http/pydantic.js';

export const REVIEW_TEXT_MAX = 2000;

/** Review text: at most 2000 characters as PostgreSQL counts them, and no NUL. */
const reviewText = pgText(0, REVIEW_TEXT_MAX);

const rating = laxInt({ min: 1, max: 5 });

export const bookIdParams = idParams('book_id', 'Id of the book');
export const reviewIdParams = idParams('review_id', 'Id of the review');

export const createReviewBody = z
  .object({
    rating,
    text: reviewText.nullable().optional(),
  })
  .meta({ id: 'ReviewCreate' });
export type CreateReviewBody = z.infer<typeof createReviewBody>;

export const updateReviewBody = z
  .object({
    rating: rating.nullable().optional(),
    text: reviewText.nullable().optional(),
  })
  .meta({ id: 'ReviewUpdate' });
export type UpdateReviewBody = z.infer<typeof updateReviewBody>;

export const bookReviewsQuery = z.object(pageQuery);

/** The author of a review: `display_name` is the part of the e-mail address before `@`. */
export const reviewAuthorSummary = z
  .object({ user_id: z.int(), display_name: z.string(), avatar_url: z.null() })
  .meta({ id: 'ReviewAuthorSummary' });

export const reviewBookSummary = z
  .object({ book_id: z.int(), title: z.string(), cover_image_url: z.string().nullable() })
  .meta({ id: 'ReviewBookSummary' });

export const reviewResponse = z
  .object({
    id: z.int(),
    book_id: z.int(),
    user_id: z.int(),
    rating: z.int(),
    text: z.string().nullable(),
    verified_purchase: z.boolean(),
    created_at: dateTime,
    updated_at: dateTime,
    author: reviewAuthorSummary,
    book: reviewBookSummary,
  })
  .meta({ id: 'ReviewResponse' });
export type ReviewResponse = z.infer<typeof reviewResponse>;

export const reviewListResponse = pageEnvelope(reviewResponse).meta({ id: 'ReviewListResponse' });

/** 409 body: DUPLICATE_REVIEW carries `existing_review_id`; any other 409 is a plain error body. */
export const duplicateReviewBody = z
  .looseObject({
    detail: z.string(),
    code: z.string(),
    field: z.string().optional(),
    existing_review_id: z.int().optional(),
  })
  .meta({ id: 'DuplicateReviewResponse' });

export const adminReviewsQuery = z.object({
  ...adminPageQuery,
  book_id: laxInt().optional().meta({ description: 'Only reviews of this book' }),
  user_id: laxInt().optional().meta({ description: 'Only reviews by this user' }),
  rating_min: rating.optional().meta({ description: 'Lowest rating, inclusive' }),
  rating_max: rating.optional().meta({ description: 'Highest rating, inclusive' }),
  sort_by: z
    .string()
    .regex(/^(date|rating)$/)
    .default('date')
    .meta({ description: '`date` (created_at) or `rating`; ties by id, newest first' }),
  sort_dir: z
    .string()
    .regex(/^(asc|desc)$/)
    .default('desc')
    .meta({ description: '`asc` or `desc`' }),
});
export type AdminReviewsQuery = z.infer<typeof adminReviewsQuery>;

export const adminReviewAuthor = z
  .object({ user_id: z.int(), display_name: z.string() })
  .meta({ id: 'AdminReviewAuthor' });

export const adminReviewBook = z
  .object({ book_id: z.int(), title: z.string() })
  .meta({ id: 'AdminReviewBook' });

export const adminReviewItem = z
  .object({
    id: z.int(),
    rating: z.int(),
    text: z.string().nullable(),
    created_at: dateTime,
    updated_at: dateTime,
    author: adminReviewAuthor,
    book: adminReviewBook,
  })
  .meta({ id: 'AdminReviewEntry' });
export type AdminReviewItem = z.infer<typeof adminReviewItem>;

export const adminReviewListResponse = adminPageEnvelope(adminReviewItem).meta({
  id: 'AdminReviewListResponse',
});

export const bulkDeleteBody = z
  .object({
    review_ids: z.array(laxInt()).min(1).max(50),
  })
  .meta({ id: 'BulkDeleteRequest' });

export const bulkDeleteResponse = z.object({ deleted_count: z.int() }).meta({ id: 'BulkDeleteResponse' });
