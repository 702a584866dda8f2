import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../app.js';
import { currentUser } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { checkoutBody, checkoutHeaders, orderParams, orderResponse } from './orders.schemas.js';
import { createOrdersService } from './orders.service.js';

export const ordersRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { deps, guards }) => {
  const service = createOrdersService(deps);
  const tags = ['orders'];
  const security = [{ bearerAuth: [] }];

  app.post(
    '/orders/checkout',
    {
      preValidation: guards.activeUser,
      schema: {
        tags,
        summary: 'Place an order from the cart (idempotent with an Idempotency-Key header)',
        security,
        headers: checkoutHeaders,
        body: checkoutBody,
        response: {
          201: orderResponse,
          ...errorResponses(401, 402, 403, 409, 422),
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
        summary: "The caller's orders, newest first",
        security,
        response: { 200: z.array(orderResponse), ...errorResponses(401, 403) },
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
        summary: 'One of the caller’s orders',
        security,
        params: orderParams,
        response: { 200: orderResponse, ...errorResponses(401, 403, 404, 422) },
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
        summary: 'All orders of all users, newest first',
        security,
        response: { 200: z.array(orderResponse), ...errorResponses(401, 403) },
      },
    },
    async () => service.listAllOrders(),
  );
};
