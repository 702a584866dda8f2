import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { currentUser } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import {
  addWishlistBody,
  wishlistBookParams,
  wishlistItemResponse,
  wishlistResponse,
} from './wishlist.schemas.js';

export const wishlistRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.wishlist;
  const tags = ['wishlist'];
  const security = [{ bearerAuth: [] }];

  app.post(
    '/wishlist',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'addToWishlist',
        summary: 'Add a book to the wishlist (in or out of stock)',
        security,
        body: addWishlistBody,
        response: { 201: wishlistItemResponse, ...errorResponses(401, 403, 404, 409, 413, 415, 422) },
        responseDescriptions: {
          201: 'The new wishlist entry',
          404: 'No such book (BOOK_NOT_FOUND)',
          409:
            'The book is on the wishlist already (WISHLIST_ITEM_DUPLICATE), or the wishlist holds 500 books ' +
            'already (WISHLIST_LIMIT_REACHED)',
        },
      },
    },
    async (request, reply) => {
      const item = await service.add(currentUser(request).id, request.body.book_id);
      return reply.code(201).send(item);
    },
  );

  app.get(
    '/wishlist',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'listWishlist',
        summary: "The caller's wishlist, newest first",
        security,
        response: { 200: wishlistResponse, ...errorResponses(401, 403) },
        responseDescriptions: { 200: 'The wishlist' },
      },
    },
    async (request) => ({ items: await service.list(currentUser(request).id) }),
  );

  app.delete(
    '/wishlist/:book_id',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'removeFromWishlist',
        summary: 'Remove a book from the wishlist (by book id)',
        security,
        params: wishlistBookParams,
        response: { 204: z.null().meta({ description: 'Removed' }), ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: { 404: 'The book is not on the wishlist (WISHLIST_ITEM_NOT_FOUND)' },
      },
    },
    async (request, reply) => {
      await service.remove(currentUser(request).id, request.params.book_id);
      return reply.code(204).send(null);
    },
  );
};
