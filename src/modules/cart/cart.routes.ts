import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { currentUser } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import {
  addCartItemBody,
  cartItemParams,
  cartItemResponse,
  cartResponse,
  updateCartItemBody,
} from './cart.schemas.js';

export const cartRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.cart;
  const tags = ['cart'];
  const security = [{ bearerAuth: [] }];

  app.get(
    '/cart',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'getCart',
        summary: "The caller's cart with live prices and totals",
        security,
        response: { 200: cartResponse, ...errorResponses(401, 403) },
        responseDescriptions: { 200: 'The cart (empty if nothing was ever added)' },
      },
    },
    async (request) => service.getCart(currentUser(request).id),
  );

  app.post(
    '/cart/items',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'addCartItem',
        summary: 'Add a book to the cart (quantity 1..999)',
        security,
        body: addCartItemBody,
        response: { 201: cartItemResponse, ...errorResponses(401, 403, 404, 409, 413, 415, 422) },
        responseDescriptions: {
          201: 'The new cart item',
          404: 'No such book (BOOK_NOT_FOUND)',
          409:
            'Out of stock (CART_BOOK_OUT_OF_STOCK), already in the cart (CART_ITEM_DUPLICATE), or the cart holds ' +
            '100 lines already (CART_LIMIT_REACHED)',
        },
      },
    },
    async (request, reply) => {
      const item = await service.addItem(
        currentUser(request).id,
        request.body.book_id,
        request.body.quantity,
      );
      return reply.code(201).send(item);
    },
  );

  app.put(
    '/cart/items/:item_id',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'updateCartItem',
        summary: 'Change the quantity of a cart item (1..999)',
        security,
        params: cartItemParams,
        body: updateCartItemBody,
        response: { 200: cartItemResponse, ...errorResponses(401, 403, 404, 413, 415, 422) },
        responseDescriptions: {
          200: 'The updated cart item',
          403: "Deactivated account, or another user's item (CART_ITEM_FORBIDDEN)",
          404: 'No such cart item (CART_ITEM_NOT_FOUND)',
        },
      },
    },
    async (request) =>
      service.updateItem(currentUser(request).id, request.params.item_id, request.body.quantity),
  );

  app.delete(
    '/cart/items/:item_id',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'removeCartItem',
        summary: 'Remove an item from the cart',
        security,
        params: cartItemParams,
        response: { 204: z.null().meta({ description: 'Removed' }), ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: {
          403: "Deactivated account, or another user's item (CART_ITEM_FORBIDDEN)",
          404: 'No such cart item (CART_ITEM_NOT_FOUND)',
        },
      },
    },
    async (request, reply) => {
      await service.removeItem(currentUser(request).id, request.params.item_id);
      return reply.code(204).send(null);
    },
  );
};
