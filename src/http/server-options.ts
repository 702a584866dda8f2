import type { Server } from 'node:http';
import { LogController, type FastifyHttpOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Deps } from '../deps.js';
import { requestLoggerFactory } from '../lib/logger.js';
import { BODY_LIMIT } from './body-parsers.js';
import { requestIdFrom, requestIdGenerator } from './metrics.js';

/** Starlette's query parsing: a repeated parameter keeps its last value. */
function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  // The router passes '' for a URL without a query (most requests): no URLSearchParams for it.
  if (raw.length === 0) return out;
  for (const [key, value] of new URLSearchParams(raw)) out[key] = value;
  return out;
}

/** The Fastify server's options: logging, request ids, the router, proxies, and the limits on slow clients. */
export function serverOptions(deps: Pick<Deps, 'config' | 'log'>) {
  const { config } = deps;
  return {
    loggerInstance: deps.log,
    // One line per request instead of Fastify's two (see the onResponse hook in http/request-hooks.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // request.log becomes pino's child (with the reqId) only when the request logs something.
    childLoggerFactory: requestLoggerFactory,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: false,
    genReqId: requestIdFrom(requestIdGenerator()),
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
  } satisfies FastifyHttpOptions<Server, Logger>;
}
