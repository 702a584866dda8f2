import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { currentUser } from '../../http/auth.js';
import { errorBody, errorResponses, httpValidationError } from '../../http/schemas.js';
import {
  adminOrderResponse,
  checkoutBody,
  checkoutHeaders,
  orderParams,
  orderResponse,
} from './orders.schemas.js';

export const ordersRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.orders;
  const tags = ['orders'];
  const security = [{ bearerAuth: [] }];

  app.post(
    '/orders/checkout',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'checkout',
        summary: 'Place an order from the cart (idempotent with an Idempotency-Key header)',
        security,
        headers: checkoutHeaders,
        body: checkoutBody,
        response: {
          201: orderResponse,
          ...errorResponses(401, 402, 403, 409, 413, 415),
          422: z.union([httpValidationError, errorBody]),
        },
        responseDescriptions: {
          201: 'The confirmed order (the first one again for a repeated Idempotency-Key)',
          402: 'The payment was declined (ORDER_PAYMENT_FAILED); nothing was ordered',
          409:
            'Not enough stock for some items (ORDER_INSUFFICIENT_STOCK, with `items`), ' +
            'or items no longer available (ORDER_ITEMS_UNAVAILABLE)',
          422: 'Validation error, or the cart is empty (ORDER_CART_EMPTY)',
        },
      },
    },
    async (request, reply) => {
      const order = await service.checkout({
        userId: currentUser(request).id,
        forcePaymentFailure: request.body.force_payment_failure,
        idempotencyKey: request.headers['idempotency-key'],
      });
      return reply.code(201).send(order);
    },
  );

  app.get(
    '/orders',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'listMyOrders',
        summary: "The caller's orders, newest first",
        security,
        response: { 200: z.array(orderResponse), ...errorResponses(401, 403) },
        responseDescriptions: { 200: "The caller's orders" },
      },
    },
    async (request) => service.listOrders(currentUser(request).id),
  );

  app.get(
    '/orders/:order_id',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        operationId: 'getMyOrder',
        summary: 'One of the caller’s orders',
        security,
        params: orderParams,
        response: { 200: orderResponse, ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: {
          200: 'The order',
          404: "No such order, or another user's (ORDER_NOT_FOUND)",
        },
      },
    },
    async (request) => service.getOrder(request.params.order_id, currentUser(request).id),
  );

  app.get(
    '/admin/orders',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'listAllOrders',
        summary: 'All orders of all users, newest first, each with its buyer',
        security,
        response: { 200: z.array(adminOrderResponse), ...errorResponses(401, 403) },
        responseDescriptions: { 200: 'Every order, with `user_id` and `user_email` of its buyer' },
      },
    },
    async () => service.listAllOrders(),
  );
};
