import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import fp from 'fastify-plugin';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from './route-context.js';
import type { Config } from '../config.js';
import type { Metrics } from '../lib/metrics.js';
import { AppError } from './errors.js';

/** An incoming X-Request-Id is kept only when it is short and made of safe characters; else one is made. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <token>` compared in constant time (hashing first makes the lengths equal). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer +(.+)$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(sha256(match[1]!.trim()), sha256(token));
}

/** `/metrics` is served with a token, or without one only outside production. */
export const metricsMounted = (config: Pick<Config, 'METRICS_TOKEN' | 'isProduction'>) =>
  config.METRICS_TOKEN !== undefined || !config.isProduction;

/**
 * Request ids on every answer and the request duration histogram. Not encapsulated
 * (fastify-plugin), so its hooks see every route, the not-found handler and errors.
 */
const plugin: FastifyPluginCallback<{ metrics: Metrics }> = (app, { metrics }, done) => {
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });

  // One observe per response; Fastify already timed the request (reply.elapsedTime, from its own hrtime).
  // The route label is the pattern (`/books/:book_id`), never the raw URL; unrouted requests share one label.
  const duration = metrics.httpRequestDuration;
  app.addHook('onResponse', (request, reply, done) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  done();
};

export const observability = fp(plugin, { name: 'observability' });

/** `GET /metrics` (Prometheus text format), not in the OpenAPI document. */
export const metricsRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { deps }) => {
  const { config, metrics } = deps;
  if (!metricsMounted(config)) return;
  const token = config.METRICS_TOKEN;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
      throw new AppError({ status: 401, detail: 'Not authenticated', code: 'HTTP_401' });
    }
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  });
};
