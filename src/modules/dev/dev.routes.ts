import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { createDevMailbox } from '../../emails/dev-mailbox.js';
import { adminPage, adminPageEnvelope, adminPageQuery, errorResponses } from '../../http/schemas.js';
import { messageNotFound } from './dev.errors.js';

const mailboxEntry = z
  .object({
    id: z.string(),
    to: z.string(),
    subject: z.string(),
    date: z.string(),
    message_id: z.string(),
    links: z.array(z.string()),
  })
  .meta({ id: 'MailboxEntry' });

const mailboxListResponse = adminPageEnvelope(mailboxEntry).meta({ id: 'MailboxListResponse' });

const messageParams = z.object({
  message_id: z.string().max(64).meta({ description: 'Id of the message (`id` in the list)' }),
});

const security = [{ bearerAuth: [] }];

/**
 * The development mailbox (messages sent while no SMTP relay is configured); never registered in production.
 * Admin only: it shows every recipient and message, which a development server reachable by others must not.
 */
export const devRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { deps, guards }) => {
  if (deps.config.isProduction) return;
  const mailbox = createDevMailbox(deps.config.DATA_DIR);
  const tags = ['dev'];

  app.get(
    '/dev/mailbox',
    {
      preValidation: guards.admin,
      schema: {
        tags,
        security,
        operationId: 'listDevMailbox',
        summary: 'Development mailbox: e-mails sent while no SMTP relay is configured, newest first',
        querystring: z.object(adminPageQuery),
        response: { 200: mailboxListResponse, ...errorResponses(401, 403, 422) },
        responseDescriptions: { 200: 'A page of messages' },
      },
    },
    async (request) => {
      const { page, per_page: perPage } = request.query;
      const { items, total } = await mailbox.list({ limit: perPage, offset: (page - 1) * perPage });
      return adminPage(items, total, page, perPage);
    },
  );

  app.get(
    '/dev/mailbox/:message_id',
    {
      preValidation: guards.admin,
      schema: {
        tags,
        security,
        operationId: 'getDevMailboxMessage',
        summary: 'One message of the development mailbox, rendered as HTML',
        params: messageParams,
        produces: ['text/html'],
        response: { 200: z.string(), ...errorResponses(401, 403, 404) },
        responseDescriptions: {
          200: 'The message as an HTML page',
          404: 'No such message (MESSAGE_NOT_FOUND)',
        },
      },
    },
    async (request, reply) => {
      const html = await mailbox.renderHtml(request.params.message_id);
      if (html === undefined) throw messageNotFound();
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );

  app.get(
    '/dev/mailbox/:message_id/raw',
    {
      preValidation: guards.admin,
      schema: {
        tags,
        security,
        operationId: 'getDevMailboxMessageRaw',
        summary: 'One message of the development mailbox as the raw MIME message (.eml)',
        params: messageParams,
        produces: ['message/rfc822'],
        response: { 200: z.string(), ...errorResponses(401, 403, 404) },
        responseDescriptions: { 200: 'The MIME message', 404: 'No such message (MESSAGE_NOT_FOUND)' },
      },
    },
    async (request, reply) => {
      const raw = await mailbox.raw(request.params.message_id);
      if (raw === undefined) throw messageNotFound();
      return reply.type('message/rfc822').send(raw.toString('utf8'));
    },
  );
};
