import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { STATUS_CODES } from 'node:http';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isDatabaseTimeout, isDatabaseUnavailable } from './db/errors.js';
import type { Deps } from './deps.js';
import { createAuthGuards } from './http/auth.js';
import { AppError, RequestValidationError } from './http/errors.js';
import { jsonDepthExceeded, locateJsonError, MAX_JSON_DEPTH } from './http/json-errors.js';
import type { RouteContext } from './http/route-context.js';
import { openapiTransform, openapiTransformObject } from './http/openapi.js';
import { securityHeaders } from './http/security-headers.js';
import { metricsRoutes, observability, requestIdFrom } from './http/metrics.js';
import { serializerCompiler } from './http/serializer.js';
import { validatorCompiler } from './http/validation.js';
import { clientKey, rateLimitStoreClass } from './modules/auth/auth.rate-limit.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { booksRoutes } from './modules/books/books.routes.js';
import { cartRoutes } from './modules/cart/cart.routes.js';
import { devRoutes } from './modules/dev/dev.routes.js';
import { genresRoutes } from './modules/genres/genres.routes.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { notificationsRoutes } from './modules/notifications/notifications.routes.js';
import { ordersRoutes } from './modules/orders/orders.routes.js';
import { prebooksRoutes } from './modules/prebooks/prebooks.routes.js';
import { reviewsRoutes } from './modules/reviews/reviews.routes.js';
import { stockRoutes } from './modules/stock/stock.routes.js';
import { uploadsRoutes } from './modules/uploads/uploads.routes.js';
import { usersRoutes } from './modules/users/users.routes.js';
import { analyticsRoutes } from './modules/analytics/analytics.routes.js';
import { wishlistRoutes } from './modules/wishlist/wishlist.routes.js';
import { maskUrl } from './lib/logger.js';
import { createServices, type Services } from './services.js';

export const BODY_LIMIT = 1024 * 1024;

// ReDoc's standalone bundle comes from the pinned `redoc` npm package and is served from here: no CDN script.
const REDOC_BUNDLE_PATH = '/redoc/redoc.standalone.js';
const REDOC_PAGE = `<!DOCTYPE html>
<html><head><title>Bookstore API - ReDoc</title><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="${REDOC_BUNDLE_PATH}"></script></body></html>`;
let redocBundle: Buffer | undefined;
const readRedocBundle = () =>
  (redocBundle ??= readFileSync(createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js')));

function sendError(
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

/** The contract's 422 entry for a body that is not acceptable JSON (§1.1). */
function jsonInvalid(pos: number, error: string): FastifyError {
  return new RequestValidationError([
    { type: 'json_invalid', loc: ['body', pos], msg: 'JSON decode error', input: {}, ctx: { error } },
  ]) as unknown as FastifyError;
}

function takesBody(request: FastifyRequest): boolean {
  return request.routeOptions.schema?.body !== undefined;
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
  // One log line per request, on its response (request.log carries the reqId); the stream ticket stays masked.
  app.addHook('onResponse', (request, reply, done) => {
    const url = maskUrl(request.url);
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const line = { method: request.method, url, statusCode: reply.statusCode, responseTime: ms };
    const msg = `${request.method} ${url} ${reply.statusCode} ${ms}ms`;
    if (reply.statusCode >= 500) request.log.error(line, msg);
    else request.log.info(line, msg);
    done();
  });

  app.addHook('onRequest', securityHeaders({ https: config.PUBLIC_BASE_URL.startsWith('https:') }));
  await app.register(observability, { metrics: deps.metrics });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // JSON only, and only with a JSON content type (contract §1.1, §7.6): no text/plain parsing.
  app.removeAllContentTypeParsers();
  const parseJson = (
    request: FastifyRequest,
    body: string | Buffer,
    done: (err: FastifyError | null, body?: unknown) => void,
  ) => {
    // Like the reference, a route that takes no body ignores whatever body is sent.
    if (!takesBody(request)) return done(null, undefined);
    const text = body.toString();
    if (text === '') return done(null, undefined);
    const tooDeep = jsonDepthExceeded(text);
    if (tooDeep >= 0) {
      done(jsonInvalid(tooDeep, `Nesting deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      const located = locateJsonError(text);
      done(jsonInvalid(located?.pos ?? 0, located?.msg ?? 'Expecting value'), undefined);
      return;
    }
    done(null, parsed);
  };
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, parseJson);
  // Any other content type: 415 for a route that takes a JSON body, ignored by a route that takes none.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, _body, done) => {
    if (!takesBody(request)) return done(null, undefined);
    const err = new Error('Unsupported Media Type') as FastifyError;
    err.statusCode = 415;
    done(err, undefined);
  });
  app.addContentTypeParser(
    /^application\/[\w.+-]+\+json$/,
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    parseJson,
  );

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

  // Before CORS and every route: a trailing slash on a known path is redirected (307, absolute URL, query kept),
  // and an OPTIONS that is not a CORS preflight is answered as any other unsupported method.
  // Callback-style hooks, and a path that ends in no slash costs one character comparison.
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
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
    done();
  });
  // CORS headers only for requests that carry an Origin (the plugin would add allow-credentials to every answer).
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.headers.origin === undefined) reply.removeHeader('access-control-allow-credentials');
    done(null, payload);
  });

  await app.register(cors, {
    origin: config.ALLOWED_ORIGINS,
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
  });

  await app.register(rateLimit, {
    global: false,
    // Counters in PostgreSQL, shared by every API process (one upsert per limited request).
    store: rateLimitStoreClass(deps.counters, () => deps.clock.now()),
    keyGenerator: (request) => clientKey(request.ip),
    // The contract's responses carry no rate-limit headers; only a 429 says when to retry.
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    addHeaders: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
      'retry-after': true,
    },
    errorResponseBuilder: (_request, context) =>
      new AppError({
        status: 429,
        detail: `Too many requests, retry in ${Math.ceil(context.ttl / 1000)} seconds`,
        code: 'RATE_LIMITED',
      }),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bookstore API',
        version: '1.0.0',
        description:
          'Catalog, cart, orders, wishlist, reviews and pre-booking of out-of-stock books with restock notifications.',
      },
      servers: [{ url: config.PUBLIC_BASE_URL }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: openapiTransform,
    transformObject: openapiTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  app.get('/redoc', { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html').send(REDOC_PAGE),
  );
  app.get(REDOC_BUNDLE_PATH, { schema: { hide: true } }, (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(readRedocBundle()),
  );
  // The root points newcomers to the documentation: browsers are redirected, other clients get the links.
  app.get('/', { schema: { hide: true } }, (request, reply) => {
    if (request.headers.accept?.includes('text/html')) return reply.redirect('/docs', 302);
    const link = (p: string) => `${config.PUBLIC_BASE_URL}${p}`;
    return reply.send({
      name: 'Bookstore API',
      version: '1.0.0',
      docs: link('/docs'),
      redoc: link('/redoc'),
      openapi: link('/openapi.json'),
      health: link('/health'),
    });
  });

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

  app.setNotFoundHandler(answerUnrouted);

  const ctx: RouteContext = { deps, guards: createAuthGuards(deps.db, deps.tokens), services };
  await app.register(healthRoutes, ctx);
  await app.register(metricsRoutes, ctx);
  await app.register(authRoutes, ctx);
  await app.register(genresRoutes, ctx);
  await app.register(booksRoutes, ctx);
  await app.register(stockRoutes, ctx);
  await app.register(uploadsRoutes, ctx);
  await app.register(cartRoutes, ctx);
  await app.register(ordersRoutes, ctx);
  await app.register(wishlistRoutes, ctx);
  await app.register(prebooksRoutes, ctx);
  await app.register(notificationsRoutes, ctx);
  await app.register(reviewsRoutes, ctx);
  await app.register(usersRoutes, ctx);
  await app.register(analyticsRoutes, ctx);
  await app.register(devRoutes, ctx);

  return app;
}
