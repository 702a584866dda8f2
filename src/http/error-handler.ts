import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseTimeout, isDatabaseUnavailable } from '../db/errors.js';
import { AppError, RequestValidationError } from './errors.js';

/** An error body as the contract writes it, with its status (and a Bearer challenge on every 401). */
export function sendError(
  reply: FastifyReply,
  status: number,
  body: Record<string, unknown>,
  headers?: Record<string, string>,
) {
  if (headers) void reply.headers(headers);
  if (status === 401 && !reply.hasHeader('www-authenticate')) void reply.header('WWW-Authenticate', 'Bearer');
  // Written as it is: the route's documented error schemas never reshape (or reject) an error body.
  return reply.code(status).type('application/json; charset=utf-8').serializer(JSON.stringify).send(body);
}

/** The one error handler: domain errors, validation failures, an unavailable database, framework errors, the rest. */
export const errorHandler = fp(async (app) => {
  app.setErrorHandler((error: FastifyError | AppError | RequestValidationError, request, reply) => {
    if (error instanceof AppError) {
      const body: Record<string, unknown> = { detail: error.detail, code: error.code };
      if (error.field !== undefined) body.field = error.field;
      Object.assign(body, error.extra);
      return sendError(reply, error.statusCode, body, error.headers);
    }
    if (error instanceof RequestValidationError) {
      return sendError(reply, 422, { detail: error.issues, code: 'VALIDATION_ERROR' });
    }
    if (isDatabaseUnavailable(error) || isDatabaseTimeout(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return sendError(
        reply,
        503,
        { detail: 'Service temporarily unavailable', code: 'SERVICE_UNAVAILABLE' },
        {
          'Retry-After': '1',
        },
      );
    }
    // @fastify/static refuses a path that climbs out of its folder with 403: under /uploads/ it is simply not found.
    if (error.code === 'FST_STATIC_FORBIDDEN_PATH') {
      return sendError(reply, 404, { detail: 'Not Found', code: 'HTTP_404' });
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      const detail =
        status === 400 && error.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH'
          ? 'There was an error parsing the body'
          : (STATUS_CODES[status] ?? 'Error');
      return sendError(reply, status, { detail, code: `HTTP_${status}` });
    }
    request.log.error({ err: error, reqId: request.id }, 'unhandled error');
    return sendError(reply, 500, { detail: 'Internal server error', code: 'INTERNAL_ERROR' });
  });
});
