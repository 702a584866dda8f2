import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
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
 * The request duration histogram's observer, called once per response by the app's onResponse hook with Fastify's
 * own timing (reply.elapsedTime). The route label is the pattern (`/books/:book_id`), never the raw URL; unrouted
 * requests share one label. Each (method, route, status) series is bound once.
 */
export function requestDurations(metrics: Pick<Metrics, 'httpRequestDuration'>) {
  const histogram = metrics.httpRequestDuration;
  const series = new Map<string, (seconds: number) => void>();
  return (method: string, route: string | undefined, statusCode: number, elapsedMs: number) => {
    const key = `${statusCode} ${method} ${route ?? ''}`;
    let observe = series.get(key);
    if (observe === undefined) {
      observe = histogram.series(key, { method, route: route ?? 'unmatched', status_code: statusCode });
      series.set(key, observe);
    }
    observe(elapsedMs / 1000);
  };
}

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
