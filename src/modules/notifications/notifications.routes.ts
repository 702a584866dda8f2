import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { currentUser, DEACTIVATED } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import {
  listQuery,
  notificationList,
  notificationParams,
  notificationResponse,
  readAllResponse,
  streamQuery,
  streamTicketResponse,
  toNotificationResponse,
} from './notifications.schemas.js';

/** Notification ids are int4: a larger Last-Event-ID is past every notification. */
const MAX_NOTIFICATION_ID = 2 ** 31 - 1;

export const notificationsRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.notifications;
  const hub = services.notificationHub;
  const security = [{ bearerAuth: [] }];

  // Open streams would keep the HTTP server from closing: end them before it starts waiting for requests.
  app.addHook('preClose', async () => {
    await hub.close();
  });

  app.get(
    '/notifications',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['notifications'],
        operationId: 'listNotifications',
        summary: 'My in-app notifications, newest first',
        security,
        querystring: listQuery,
        response: { 200: notificationList, ...errorResponses(401, 403, 422) },
        responseDescriptions: { 200: 'A page of notifications and the unread count' },
      },
    },
    async (request) => {
      const { page, size, unread } = request.query;
      const {
        rows,
        total,
        unread: unreadCount,
      } = await service.list(currentUser(request).id, {
        unreadOnly: unread === true,
        page,
        size,
      });
      return { items: rows.map(toNotificationResponse), total, page, size, unread_count: unreadCount };
    },
  );

  app.post(
    '/notifications/:notification_id/read',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['notifications'],
        operationId: 'markNotificationRead',
        summary: 'Mark a notification read',
        security,
        params: notificationParams,
        response: { 200: notificationResponse, ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: {
          200: 'The notification, read',
          404: "No such notification, or another user's",
        },
      },
    },
    async (request) =>
      toNotificationResponse(await service.markRead(currentUser(request).id, request.params.notification_id)),
  );

  app.post(
    '/notifications/read-all',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['notifications'],
        operationId: 'markAllNotificationsRead',
        summary: 'Mark all my notifications read',
        security,
        response: { 200: readAllResponse, ...errorResponses(401, 403) },
        responseDescriptions: { 200: 'How many were marked read' },
      },
    },
    async (request) => service.markAllRead(currentUser(request).id),
  );

  app.post(
    '/notifications/stream-ticket',
    {
      preValidation: guards.activeUser,
      schema: {
        tags: ['notifications'],
        operationId: 'createStreamTicket',
        summary: 'A single-use ticket (60 s) to open the stream where headers cannot be sent (EventSource)',
        security,
        response: { 201: streamTicketResponse, ...errorResponses(401, 403) },
        responseDescriptions: { 201: 'The ticket for `GET /notifications/stream?ticket=`' },
      },
    },
    async (request, reply) => reply.code(201).send(await service.issueStreamTicket(currentUser(request).id)),
  );

  /** The bearer header when there is one; otherwise the single-use ticket of the query string. */
  async function streamAuth(request: FastifyRequest, reply: FastifyReply) {
    const { ticket } = request.query as { ticket?: unknown };
    if (request.headers.authorization !== undefined || typeof ticket !== 'string' || ticket === '') {
      return guards.activeUser.call(app, request, reply);
    }
    const account = await service.redeemStreamTicket(ticket);
    if (!account.isActive) throw DEACTIVATED();
    request.user = { id: account.id, email: account.email, role: account.role };
  }

  app.get(
    '/notifications/stream',
    {
      preValidation: streamAuth,
      schema: {
        tags: ['notifications'],
        operationId: 'streamNotifications',
        summary: 'Live notifications (Server-Sent Events)',
        description:
          'A `text/event-stream`: `ready` once ({unread_count}), then one `notification` event per new ' +
          'notification (id = notification id; `Last-Event-ID` replays the missed ones), and a comment line ' +
          'as heartbeat every 15 s. Authenticate with the bearer header, or `?ticket=` from ' +
          '`POST /notifications/stream-ticket`. An account may hold a few streams at once (429 ' +
          '`STREAM_LIMIT_REACHED` beyond) and a server a bounded number in all (503 beyond).',
        security,
        querystring: streamQuery,
        produces: ['text/event-stream'],
        response: {
          200: z.unknown().meta({ description: 'The event stream (`text/event-stream`)' }),
          ...errorResponses(401, 403, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const header = request.headers['last-event-id'];
      const lastEventId =
        typeof header === 'string' && /^\d{1,10}$/.test(header)
          ? Math.min(Number(header), MAX_NOTIFICATION_ID)
          : undefined;
      const stream = await hub.subscribe(user.id, {
        lastEventId,
        unreadCount: await service.unreadCount(user.id),
      });
      return reply
        .header('Content-Type', 'text/event-stream; charset=utf-8')
        .header('Cache-Control', 'no-cache, no-transform')
        .header('X-Accel-Buffering', 'no')
        .send(stream);
    },
  );
};
