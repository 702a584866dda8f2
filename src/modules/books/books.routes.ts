import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { errorResponses } from '../../http/schemas.js';
import {
  bookCreateBody,
  bookDetailResponse,
  bookIdParams,
  bookListQuery,
  bookListResponse,
  bookResponse,
  bookUpdateBody,
} from './books.schemas.js';

export const booksRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.books;
  const adminOnly = { preValidation: guards.admin };
  const security = [{ bearerAuth: [] }];

  app.get(
    '/books',
    {
      schema: {
        tags: ['books'],
        operationId: 'listBooks',
        summary: 'Search and list books',
        description:
          '`q` is a prefix full-text search over title and author, ranked by relevance (then `sort` is ignored). ' +
          'Without `sort_dir`, `created_at` and `avg_rating` sort descending, the others ascending; ties by id.',
        querystring: bookListQuery,
        response: { 200: bookListResponse, ...errorResponses(422) },
        responseDescriptions: { 200: 'A page of books and the total number of matches' },
      },
    },
    (request) => service.listBooks(request.query),
  );

  app.post(
    '/books',
    {
      ...adminOnly,
      schema: {
        tags: ['books'],
        operationId: 'createBook',
        summary: 'Create a book (admin); stock starts at 0',
        security,
        body: bookCreateBody,
        response: { 201: bookResponse, ...errorResponses(401, 403, 404, 409, 413, 415, 422) },
        responseDescriptions: {
          201: 'The new book',
          404: 'Unknown genre_id (GENRE_NOT_FOUND)',
          409: 'A book with this ISBN exists (BOOK_ISBN_CONFLICT)',
        },
      },
    },
    async (request, reply) => reply.code(201).send(await service.createBook(request.body)),
  );

  app.get(
    '/books/:book_id',
    {
      schema: {
        tags: ['books'],
        operationId: 'getBook',
        summary: 'One book with its rating summary',
        params: bookIdParams,
        response: { 200: bookDetailResponse, ...errorResponses(404, 422) },
        responseDescriptions: {
          200: 'The book, its average rating and review count',
          404: 'No such book (BOOK_NOT_FOUND)',
        },
      },
    },
    (request) => service.getBook(request.params.book_id),
  );

  app.put(
    '/books/:book_id',
    {
      ...adminOnly,
      schema: {
        tags: ['books'],
        operationId: 'updateBook',
        summary: 'Update a book (admin); only the fields sent are changed',
        security,
        params: bookIdParams,
        body: bookUpdateBody,
        response: { 200: bookResponse, ...errorResponses(401, 403, 404, 409, 413, 415, 422) },
        responseDescriptions: {
          200: 'The updated book',
          404: 'No such book (BOOK_NOT_FOUND), or unknown genre_id (GENRE_NOT_FOUND)',
          409: 'Another book has this ISBN (BOOK_ISBN_CONFLICT)',
        },
      },
    },
    (request) => service.updateBook(request.params.book_id, request.body),
  );

  app.delete(
    '/books/:book_id',
    {
      ...adminOnly,
      schema: {
        tags: ['books'],
        operationId: 'deleteBook',
        summary:
          'Delete a book (admin); its cart lines, wishlist entries, pre-bookings and reviews go with it',
        security,
        params: bookIdParams,
        response: { 204: z.null().meta({ description: 'Deleted' }), ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: { 404: 'No such book (BOOK_NOT_FOUND)' },
      },
    },
    async (request, reply) => {
      await service.deleteBook(request.params.book_id);
      return reply.code(204).send(null);
    },
  );
};
