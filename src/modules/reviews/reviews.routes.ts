import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from '../../http/route-context.js';
import { z } from 'zod';
import { currentUser } from '../../http/auth.js';
import { adminPage, errorResponses } from '../../http/schemas.js';
import {
  adminReviewListResponse,
  adminReviewsQuery,
  bookIdParams,
  bookReviewsQuery,
  bulkDeleteBody,
  bulkDeleteResponse,
  createReviewBody,
  duplicateReviewBody,
  reviewIdParams,
  reviewListResponse,
  reviewResponse,
  updateReviewBody,
} from './reviews.schemas.js';

const security = [{ bearerAuth: [] }];

export const reviewsRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.reviews;

  app.post(
    '/books/:book_id/reviews',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['reviews'],
        operationId: 'createReview',
        summary: 'Review a book you bought (one live review per book)',
        security,
        params: bookIdParams,
        body: createReviewBody,
        response: {
          201: reviewResponse,
          ...errorResponses(401, 403, 404, 413, 415, 422),
          409: duplicateReviewBody,
        },
        responseDescriptions: {
          201: 'The new review',
          403: 'Deactivated account, or the book was not bought (NOT_PURCHASED)',
          404: 'No such book (BOOK_NOT_FOUND)',
          409: 'The caller has a review of this book (DUPLICATE_REVIEW, with `existing_review_id`)',
        },
      },
    },
    async (request, reply) => {
      const review = await service.createReview(currentUser(request), request.params.book_id, request.body);
      return reply.code(201).send(review);
    },
  );

  app.get(
    '/books/:book_id/reviews',
    {
      schema: {
        tags: ['reviews'],
        operationId: 'listBookReviews',
        summary: "A book's reviews, newest first (an unknown book has none)",
        params: bookIdParams,
        querystring: bookReviewsQuery,
        response: { 200: reviewListResponse, ...errorResponses(422) },
        responseDescriptions: { 200: 'A page of reviews and their total' },
      },
    },
    (request) => service.listBookReviews(request.params.book_id, request.query.page, request.query.size),
  );

  app.get(
    '/reviews/:review_id',
    {
      schema: {
        tags: ['reviews'],
        operationId: 'getReview',
        summary: 'One review',
        params: reviewIdParams,
        response: { 200: reviewResponse, ...errorResponses(404, 422) },
        responseDescriptions: { 200: 'The review', 404: 'No such review, or deleted (REVIEW_NOT_FOUND)' },
      },
    },
    (request) => service.getReview(request.params.review_id),
  );

  app.patch(
    '/reviews/:review_id',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['reviews'],
        operationId: 'updateReview',
        summary: 'Edit your review (omitted or null rating: unchanged; null text: cleared)',
        security,
        params: reviewIdParams,
        body: updateReviewBody,
        response: { 200: reviewResponse, ...errorResponses(401, 403, 404, 413, 415, 422) },
        responseDescriptions: {
          200: 'The review as it is now',
          403: "Deactivated account, or another user's review (NOT_REVIEW_OWNER)",
          404: 'No such review, or deleted (REVIEW_NOT_FOUND)',
        },
      },
    },
    (request) => service.updateReview(currentUser(request), request.params.review_id, request.body),
  );

  app.delete(
    '/reviews/:review_id',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['reviews'],
        operationId: 'deleteReview',
        summary: 'Delete a review (its author or an admin)',
        security,
        params: reviewIdParams,
        response: { 204: z.null().meta({ description: 'Deleted' }), ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: {
          403: "Deactivated account, or another user's review (NOT_REVIEW_OWNER)",
          404: 'No such review, or deleted already (REVIEW_NOT_FOUND)',
        },
      },
    },
    async (request, reply) => {
      await service.deleteReview(currentUser(request), request.params.review_id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/admin/reviews',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'listReviewsForModeration',
        summary: 'Reviews for moderation, filtered and sorted',
        security,
        querystring: adminReviewsQuery,
        response: { 200: adminReviewListResponse, ...errorResponses(401, 403, 422) },
        responseDescriptions: { 200: 'A page of reviews' },
      },
    },
    async (request) => {
      const { items, total } = await service.listForModeration(request.query);
      return adminPage(items, total, request.query.page, request.query.per_page);
    },
  );

  app.delete(
    '/admin/reviews/bulk',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'bulkDeleteReviews',
        summary: 'Soft-delete up to 50 reviews at once (missing or deleted ids are skipped)',
        security,
        body: bulkDeleteBody,
        response: { 200: bulkDeleteResponse, ...errorResponses(401, 403, 413, 415, 422) },
        responseDescriptions: { 200: 'How many reviews were deleted' },
      },
    },
    async (request) => ({ deleted_count: await service.bulkDelete(request.body.review_ids) }),
  );
};
