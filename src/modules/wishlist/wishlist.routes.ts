import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../app.js';
import { currentUser } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import {
  addWishlistBody,
  wishlistBookParams,
  wishlistItemResponse,
  wishlistResponse,
} from './wishlist.schemas.js';
import { createWishlistService } from './wishlist.service.js';

export const wishlistRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { deps, guards }) => {
  const service = createWishlistService(deps);
  const tags = ['wishlist'];
  const security = [{ bearerAuth: [] }];

  app.post(
    '/wishlist',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        summary: 'Add a book to the wishlist (in or out of stock)',
        security,
        body: addWishlistBody,
        response: { 201: wishlistItemResponse, ...errorResponses(401, 403, 404, 409, 422) },
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
        summary: "The caller's wishlist, newest first",
        security,
        response: { 200: wishlistResponse, ...errorResponses(401, 403) },
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
        summary: 'Remove a book from the wishlist (by book id)',
        security,
        params: wishlistBookParams,
        response: { 204: z.null().meta({ description: 'Removed' }), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      await service.remove(currentUser(request).id, request.params.book_id);
      return reply.code(204).send(null);
    },
  );
};
