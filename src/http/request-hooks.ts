import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import type { Deps } from '../deps.js';
import { maskUrl } from '../lib/logger.js';
import { corsPolicy } from './cors.js';
import { requestDurations } from './metrics.js';
import { createRouteIndex, unroutedAnswer } from './not-found.js';
import { securityHeaders } from './security-headers.js';

/** Whether a logger writes at this level (pino's check; a logger without one writes everything). */
function levelEnabled(log: FastifyBaseLogger, level: 'info' | 'error'): boolean {
  const check = (log as Partial<{ isLevelEnabled(level: string): boolean }>).isLevelEnabled;
  return check === undefined || check.call(log, level);
}

/**
 * The hooks every request runs through, one per phase, at the root: onRequest (security headers, request id,
 * trailing-slash redirect, a non-preflight OPTIONS, CORS) and onResponse (the log line, the duration histogram);
 * with the index of the routes registered after it and the 404/405 answer of a request no route takes.
 */
export const requestHooks = fp<{ deps: Pick<Deps, 'config' | 'metrics'> }>(async (app, { deps }) => {
  const { config } = deps;
  // One onResponse hook per request: its log line (request.log carries the reqId; the stream ticket stays masked),
  // built only when its level is enabled, and its observation in the duration histogram.
  const observeDuration = requestDurations(deps.metrics);
  app.addHook('onResponse', (request, reply, done) => {
    const statusCode = reply.statusCode;
    const ms = reply.elapsedTime;
    const level = statusCode >= 500 ? 'error' : 'info';
    if (levelEnabled(request.log, level)) {
      const url = maskUrl(request.url);
      const responseTime = Math.round(ms * 10) / 10;
      request.log[level](
        { method: request.method, url, statusCode, responseTime },
        `${request.method} ${url} ${statusCode} ${responseTime}ms`,
      );
    }
    observeDuration(request.method, request.routeOptions.url, statusCode, ms);
    done();
  });

  const routeIndex = createRouteIndex();
  const answerUnrouted = unroutedAnswer(routeIndex);
  app.addHook('onRoute', (route) => {
    if (route.url !== '*') routeIndex.add(route.method, route.url);
  });

  // One onRequest hook before every route, not found and error answer: the security headers, the request id, then
  // a trailing slash on a known path is redirected (307, absolute URL, query kept), an OPTIONS that is not a CORS
  // preflight is answered as any other unsupported method, then CORS (which answers preflights itself).
  // Callback-style, and a path that ends in no slash costs one character comparison.
  const headersFor = securityHeaders({ https: config.PUBLIC_BASE_URL.startsWith('https:') });
  const cors = corsPolicy({
    origins: config.ALLOWED_ORIGINS,
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
  });
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    void reply.headers(headersFor(url));
    void reply.header('x-request-id', request.id);
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.length > 1 && path.endsWith('/')) {
      const stripped = path.replace(/\/+$/, '') || '/';
      // As Starlette does, redirect whenever the path exists without the slash, whatever the method.
      if (routeIndex.methodsFor(stripped).length > 0) {
        const query = q === -1 ? '' : url.slice(q + 1);
        // Absolute, as Starlette's, but from PUBLIC_BASE_URL: never from the Host header.
        const location = `${config.PUBLIC_BASE_URL}${stripped}${query ? `?${query}` : ''}`;
        void reply.redirect(location, 307);
        return;
      }
    }
    if (request.method === 'OPTIONS' && !request.headers['access-control-request-method']) {
      void answerUnrouted(request, reply);
      return;
    }
    if (cors(request, reply)) return;
    done();
  });
  // Preflights are answered by the hook; the route makes every path routable under OPTIONS.
  app.options('*', { schema: { hide: true } }, (_request, reply) => reply.callNotFound());

  // The not-found handler takes the root's hooks and error handler when the app gets ready, wherever it is set.
  app.setNotFoundHandler(answerUnrouted);
});
