import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../app.js';
import { currentUser } from '../../http/auth.js';
import { adminPage, errorResponses } from '../../http/schemas.js';
import {
  adminPreBookingList,
  adminPreBookingQuery,
  createPreBookingBody,
  demandList,
  demandQuery,
  preBookingList,
  preBookingParams,
  preBookingResponse,
  toAdminPreBookingResponse,
  toDemandItem,
  toPreBookingResponse,
} from './prebooks.schemas.js';
import { createPreBookingService } from './prebooks.service.js';

export const prebooksRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { deps, guards }) => {
  const service = createPreBookingService(deps);
  const security = [{ bearerAuth: [] }];

  app.post(
    '/prebooks',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['prebooks'],
        operationId: 'createPreBooking',
        summary: 'Pre-book an out-of-stock book',
        description: 'Joins the queue of the book; the response shows the place in it (`queue_position`).',
        security,
        body: createPreBookingBody,
        response: { 201: preBookingResponse, ...errorResponses(401, 403, 404, 409, 413, 415, 422) },
        responseDescriptions: {
          201: 'The waiting pre-booking',
          404: 'No such book (BOOK_NOT_FOUND)',
          409: 'The book is in stock (PREBOOK_BOOK_IN_STOCK), or already pre-booked (PREBOOK_DUPLICATE)',
        },
      },
    },
    async (request, reply) => {
      const row = await service.preBook(currentUser(request).id, request.body.book_id);
      return reply.code(201).send(toPreBookingResponse(row));
    },
  );

  app.get(
    '/prebooks',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['prebooks'],
        operationId: 'listMyPreBookings',
        summary: 'My pre-bookings, newest first',
        security,
        response: { 200: preBookingList, ...errorResponses(401, 403) },
        responseDescriptions: { 200: "The caller's pre-bookings in every status" },
      },
    },
    async (request) => {
      const rows = await service.listMine(currentUser(request).id);
      return { items: rows.map(toPreBookingResponse) };
    },
  );

  app.delete(
    '/prebooks/:prebook_id',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['prebooks'],
        operationId: 'cancelPreBooking',
        summary: 'Cancel a pre-booking',
        security,
        params: preBookingParams,
        response: {
          204: z.null().meta({ description: 'Cancelled' }),
          ...errorResponses(401, 403, 404, 409, 422),
        },
        responseDescriptions: {
          404: "No such pre-booking, or another user's (PREBOOK_NOT_FOUND)",
          409: 'Cancelled already (PREBOOK_ALREADY_CANCELLED)',
        },
      },
    },
    async (request, reply) => {
      await service.cancel(currentUser(request).id, request.params.prebook_id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/admin/prebooks',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'listAllPreBookings',
        summary: 'All pre-bookings (the waitlists), in queue order',
        security,
        querystring: adminPreBookingQuery,
        response: { 200: adminPreBookingList, ...errorResponses(401, 403, 422) },
        responseDescriptions: { 200: 'A page of pre-bookings with their readers' },
      },
    },
    async (request) => {
      const { page, per_page, book_id, status } = request.query;
      const { rows, total } = await service.listForAdmin({
        bookId: book_id,
        status,
        page,
        perPage: per_page,
      });
      return adminPage(rows.map(toAdminPreBookingResponse), total, page, per_page);
    },
  );

  app.get(
    '/admin/analytics/prebooks/demand',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'getPreBookingDemand',
        summary: 'Books ranked by waiting pre-bookings',
        description:
          'Every book with pre-bookings: waiting count, oldest wait, current stock, and how many readers were ' +
          'notified and then bought the book.',
        security,
        querystring: demandQuery,
        response: { 200: demandList, ...errorResponses(401, 403, 422) },
        responseDescriptions: { 200: 'A page of books by demand' },
      },
    },
    async (request) => {
      const { page, per_page } = request.query;
      const { rows, total } = await service.demand(page, per_page);
      return adminPage(rows.map(toDemandItem), total, page, per_page);
    },
  );
};
