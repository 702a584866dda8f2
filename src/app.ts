import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from './deps.js';
import { BODY_LIMIT, bodyParsers } from './http/body-parsers.js';
import { docs } from './http/docs.js';
import { errorHandler, sendError } from './http/error-handler.js';
import { corsPolicy } from './http/cors.js';
import { requestDurations, requestIdFrom } from './http/metrics.js';
import { rateLimits } from './http/rate-limit.js';
import { routes } from './http/routes.js';
import { securityHeaders } from './http/security-headers.js';
import { serializerCompiler } from './http/serializer.js';
import { validatorCompiler } from './http/validation.js';
import { maskUrl, requestLoggerFactory } from './lib/logger.js';
import { createServices, type Services } from './services.js';

/** Whether a logger writes at this level (pino's check; a logger without one writes everything). */
function levelEnabled(log: FastifyBaseLogger, level: 'info' | 'error'): boolean {
  const check = (log as Partial<{ isLevelEnabled(level: string): boolean }>).isLevelEnabled;
  return check === undefined || check.call(log, level);
}

/** Starlette's query parsing: a repeated parameter keeps its last value. */
function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(raw)) out[key] = value;
  return out;
}

/** Route patterns by method, to tell a 405 (known path, other method) from a 404 and to drop trailing slashes. */
function createRouteIndex() {
  const routes: { method: string; re: RegExp }[] = [];
  const toRegExp = (url: string) =>
    new RegExp(
      '^' +
        url
          .split('/')
          .map((seg) =>
            seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
          )
          .join('/') +
        '$',
    );
  return {
    add(methods: string | string[], url: string) {
      for (const m of Array.isArray(methods) ? methods : [methods])
        routes.push({ method: m, re: toRegExp(url) });
    },
    methodsFor(path: string): string[] {
      return [...new Set(routes.filter((r) => r.re.test(path)).map((r) => r.method))];
    },
  };
}

/** The HTTP app on the process's deps, with the services built from them unless the caller built them already. */
export async function buildApp(deps: Deps, services: Services = createServices(deps)) {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.log,
    // One line per request instead of Fastify's two (see the onResponse hook below).
    logController: new LogController({ disableRequestLogging: true }),
    // request.log becomes pino's child (with the reqId) only when the request logs something.
    childLoggerFactory: requestLoggerFactory,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: false,
    genReqId: requestIdFrom,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200, querystringParser: parseQuery },
    forceCloseConnections: 'idle',
    // request.ip (limits, throttles, logs) is the X-Forwarded-For client only behind these proxies.
    trustProxy: config.TRUST_PROXY.length > 0 ? [...config.TRUST_PROXY] : false,
    // Slow clients (slowloris, a trickled body, an idle keep-alive) cannot hold sockets: the whole request must
    // arrive within requestTimeout, its headers within headersTimeout, and a silent socket is closed.
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: config.HTTP_IDLE_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxRequestsPerSocket: config.HTTP_MAX_REQUESTS_PER_SOCKET,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      // Node checks those two timeouts every 30 s by default, which would let a slow request live that long.
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1000, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 4)),
      ),
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.server.maxConnections = config.HTTP_MAX_CONNECTIONS;
  app.server.maxHeadersCount = 100;
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

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(bodyParsers);

  const routeIndex = createRouteIndex();
  /** No route for this method: 405 with `Allow` when the path exists under other methods, else 404. */
  const answerUnrouted = (request: FastifyRequest, reply: FastifyReply) => {
    const allowed = routeIndex.methodsFor(request.url.split('?', 1)[0] ?? '/');
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return sendError(
        reply,
        405,
        { detail: 'Method Not Allowed', code: 'HTTP_405' },
        { Allow: allowed.join(', ') },
      );
    }
    return sendError(reply, 404, { detail: 'Not Found', code: 'HTTP_404' });
  };
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

  await app.register(rateLimits, { deps });

  await app.register(docs, { config });

  await app.register(errorHandler);

  app.setNotFoundHandler(answerUnrouted);

  await app.register(routes, { deps, services });

  return app;
}
