import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from '../../app.js';
import { currentUser } from '../../http/auth.js';
import { adminPage, errorResponses, idParams } from '../../http/schemas.js';
import { bookResponse, toBookResponse } from '../books/books.schemas.js';
import {
  historyQuery,
  previewQuery,
  restockPreviewResponse,
  stockChangeListResponse,
  stockUpdateBody,
  toStockChangeResponse,
} from './stock.schemas.js';
import { createStockService } from './stock.service.js';

export const stockRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { deps, guards }) => {
  const service = createStockService(deps);
  const security = [{ bearerAuth: [] }];

  app.patch(
    '/books/:book_id/stock',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['books'],
        operationId: 'setBookStock',
        summary: 'Set the stock of a book',
        description:
          'Sets the absolute stock. Moving it from 0 to a positive number notifies every waiting pre-booking in ' +
          'the same transaction (in-app notification and one restock e-mail each, sent after commit).',
        security,
        params: idParams('book_id', 'Id of the book'),
        body: stockUpdateBody,
        response: { 200: bookResponse, ...errorResponses(401, 403, 404, 413, 415, 422) },
        responseDescriptions: { 200: 'The book with its new stock', 404: 'No such book (BOOK_NOT_FOUND)' },
      },
    },
    async (request) => {
      const book = await service.setStock(
        request.params.book_id,
        request.body.quantity,
        currentUser(request).id,
      );
      return toBookResponse(book);
    },
  );

  app.get(
    '/admin/books/:book_id/stock-history',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'listStockChanges',
        summary: 'Stock changes of a book, newest first',
        security,
        params: idParams('book_id', 'Id of the book'),
        querystring: historyQuery,
        response: { 200: stockChangeListResponse, ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: {
          200: 'A page of stock changes',
          404: 'No such book (BOOK_NOT_FOUND)',
        },
      },
    },
    async (request) => {
      const { page, per_page } = request.query;
      const { rows, total } = await service.history(request.params.book_id, page, per_page);
      return adminPage(rows.map(toStockChangeResponse), total, page, per_page);
    },
  );

  app.get(
    '/admin/books/:book_id/restock-preview',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'previewRestock',
        summary: 'What setting the stock to `quantity` would notify, without changing anything',
        security,
        params: idParams('book_id', 'Id of the book'),
        querystring: previewQuery,
        response: { 200: restockPreviewResponse, ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: {
          200: 'What the stock change would do',
          404: 'No such book (BOOK_NOT_FOUND)',
        },
      },
    },
    async (request) => service.preview(request.params.book_id, request.query.quantity),
  );
};
