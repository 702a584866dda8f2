import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { currentUser } from '../../http/auth.js';
import { adminPage, errorResponses } from '../../http/schemas.js';
import {
  adminPreBookingList,
  adminPreBookingQuery,
  createPreBookingBody,
  demandList,
  demandQuery,
  oneClickCancelPage,
  oneClickCancelQuery,
  preBookingList,
  preBookingParams,
  preBookingResponse,
  toAdminPreBookingResponse,
  toDemandItem,
  toPreBookingResponse,
} from './prebooks.schemas.js';
import { AppError } from '../../http/errors.js';
import { heldUntilText } from './prebooks.emails.js';
import { cancelledPage, confirmationPage, invalidLinkPage, PAGE_HEADERS } from './prebooks.pages.js';

export const prebooksRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.prebooks;
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
          409:
            'The book is in stock (PREBOOK_BOOK_IN_STOCK), already pre-booked (PREBOOK_DUPLICATE), or the reader ' +
            'waits for 100 books already (PREBOOK_LIMIT_REACHED)',
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

  app.post(
    '/prebooks/:prebook_id/requeue',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['prebooks'],
        operationId: 'requeuePreBooking',
        summary: 'Put a notified pre-booking back in the queue at its original place',
        description:
          'For a notified pre-booking whose held copy expired, or (restock policy broadcast) whose book is out of ' +
          'stock again. It is `waiting` again, ordered by its original `created_at`; on `fifo`, if a copy is free it ' +
          'is held for the first reader in line at once. 409 `PREBOOK_NOT_REQUEUEABLE` otherwise; 409 ' +
          '`PREBOOK_DUPLICATE` if the caller already waits for (or holds a copy of) the book.',
        security,
        params: preBookingParams,
        response: { 200: preBookingResponse, ...errorResponses(401, 403, 404, 409, 422) },
        responseDescriptions: {
          200: 'The pre-booking, waiting again (or already holding a free copy, on fifo)',
          404: "No such pre-booking, or another user's (PREBOOK_NOT_FOUND)",
          409:
            'Not re-queueable (PREBOOK_NOT_REQUEUEABLE), the reader already waits (PREBOOK_DUPLICATE), or waits ' +
            'for 100 books already (PREBOOK_LIMIT_REACHED)',
        },
      },
    },
    async (request) =>
      toPreBookingResponse(await service.requeue(currentUser(request).id, request.params.prebook_id)),
  );

  /** Sends the HTML page `render` makes; a token that does not name the pre-booking gets the 404 page. */
  const sendLinkPage = async (reply: FastifyReply, render: () => Promise<string>) => {
    let html: string;
    try {
      html = await render();
    } catch (err) {
      if (err instanceof AppError && err.statusCode === 404)
        return reply.code(404).headers(PAGE_HEADERS).send(invalidLinkPage());
      throw err;
    }
    return reply.headers(PAGE_HEADERS).send(html);
  };

  app.get(
    '/prebooks/:prebook_id/one-click-cancel',
    {
      schema: {
        tags: ['prebooks'],
        operationId: 'showOneClickCancel',
        summary: 'Confirmation page of the one-click cancel link of a restock e-mail (changes nothing)',
        description:
          'Public: the token of the link (List-Unsubscribe, RFC 8058) names the pre-booking. Shows the pre-booking ' +
          'and a button that POSTs to the same link.',
        params: preBookingParams,
        querystring: oneClickCancelQuery,
        produces: ['text/html'],
        response: { 200: oneClickCancelPage, 404: oneClickCancelPage, ...errorResponses(422) },
        responseDescriptions: {
          200: 'An HTML page naming the pre-booking, with a button that posts the cancel',
          404: 'An HTML page: the link is not valid',
        },
      },
    },
    async (request, reply) => {
      const { prebook_id: id } = request.params;
      const { token } = request.query;
      return sendLinkPage(reply, async () => {
        const row = await service.findForLink(id, token);
        return confirmationPage({
          bookTitle: row.bookTitle,
          bookAuthor: row.bookAuthor,
          status: row.status,
          holdUntil:
            row.holdExpiresAt !== null && row.holdExpiredAt === null && row.convertedAt === null
              ? heldUntilText(row.holdExpiresAt)
              : null,
          action: `/prebooks/${id}/one-click-cancel?token=${encodeURIComponent(token)}`,
        });
      });
    },
  );

  app.post(
    '/prebooks/:prebook_id/one-click-cancel',
    {
      schema: {
        tags: ['prebooks'],
        operationId: 'oneClickCancelPreBooking',
        summary: 'One-click cancel of a pre-booking from its restock e-mail (RFC 8058), without login',
        description:
          'Cancels the one pre-booking the token names and releases its held copy, which passes to the next ' +
          'reader in line. Idempotent: 200 again for an already cancelled one. The body ' +
          '(`List-Unsubscribe=One-Click`) is not needed. 404 for a wrong token.',
        params: preBookingParams,
        querystring: oneClickCancelQuery,
        produces: ['text/html'],
        response: { 200: oneClickCancelPage, 404: oneClickCancelPage, ...errorResponses(422) },
        responseDescriptions: {
          200: 'An HTML page: the pre-booking is cancelled (or was already)',
          404: 'An HTML page: the link is not valid',
        },
      },
    },
    async (request, reply) => {
      const { prebook_id: id } = request.params;
      const { token } = request.query;
      return sendLinkPage(reply, async () => {
        const outcome = await service.cancelByLink(id, token);
        const row = await service.findForLink(id, token);
        return cancelledPage(row.bookTitle, outcome === 'already-cancelled');
      });
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
