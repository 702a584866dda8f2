import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from '../../http/route-context.js';
import { currentUser } from '../../http/auth.js';
import { adminPage, errorResponses, idParams } from '../../http/schemas.js';
import { bookResponse, toBookResponse } from '../books/books.schemas.js';
import {
  availabilityResponse,
  historyQuery,
  previewQuery,
  restockPolicyBody,
  restockPolicyResponse,
  restockPreviewResponse,
  stockChangeListResponse,
  stockUpdateBody,
  toRestockPolicyResponse,
  toStockChangeResponse,
} from './stock.schemas.js';

export const stockRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.stock;
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
          'Sets the absolute stock. On the `broadcast` policy, moving it from 0 to a positive number marks every ' +
          'waiting pre-booking notified in the same transaction; after commit each reader gets an in-app ' +
          'notification and one restock e-mail. On `fifo`, whenever copies are free and readers wait, the first ' +
          'min(available, waiting) readers in queue order are notified, each with a copy held for them.',
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

  app.get(
    '/admin/books/:book_id/restock-policy',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'getRestockPolicy',
        summary: "The book's restock policy",
        description:
          '`broadcast` (default): a restock from 0 tells every waiting reader. `fifo`: as many readers as there are ' +
          'free copies are told, first come first served, and a copy is held for each for `hold_seconds`.',
        security,
        params: idParams('book_id', 'Id of the book'),
        response: { 200: restockPolicyResponse, ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: {
          200: "The book's policy and hold, and whether they are its own or the defaults",
          404: 'No such book (BOOK_NOT_FOUND)',
        },
      },
    },
    async (request) =>
      toRestockPolicyResponse(request.params.book_id, await service.policyOf(request.params.book_id)),
  );

  app.put(
    '/admin/books/:book_id/restock-policy',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'setRestockPolicy',
        summary: "Set the book's restock policy",
        description:
          'Applies at once: switching to `fifo` holds the free copies for the readers in line; switching to ' +
          '`broadcast` while the book is in stock tells every reader still waiting. Holds already granted run ' +
          'until they end.',
        security,
        params: idParams('book_id', 'Id of the book'),
        body: restockPolicyBody,
        response: { 200: restockPolicyResponse, ...errorResponses(401, 403, 404, 413, 415, 422) },
        responseDescriptions: {
          200: 'The policy now in force for the book',
          404: 'No such book (BOOK_NOT_FOUND)',
          422: 'Unknown policy, or hold_seconds outside 10..604800',
        },
      },
    },
    async (request) => {
      const policy = await service.setPolicy(
        request.params.book_id,
        { policy: request.body.policy, holdSeconds: request.body.hold_seconds },
        currentUser(request).id,
      );
      return toRestockPolicyResponse(request.params.book_id, policy);
    },
  );

  app.get(
    '/books/:book_id/availability',
    {
      schema: {
        tags: ['books'],
        operationId: 'getBookAvailability',
        summary: 'How many copies are free, held for notified readers, and how many readers wait',
        description:
          '`available = stock_quantity − held`, never negative: what a checkout by anyone may take.',
        params: idParams('book_id', 'Id of the book'),
        response: { 200: availabilityResponse, ...errorResponses(404, 422) },
        responseDescriptions: {
          200: 'Stock, held and available copies, waiting readers',
          404: 'No such book (BOOK_NOT_FOUND)',
        },
      },
    },
    async (request) => service.availability(request.params.book_id),
  );
};
