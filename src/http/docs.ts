import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { openapiTransform, openapiTransformObject } from './openapi.js';

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

/**
 * The OpenAPI document of every route (registered at the root, before the routes, so that it sees them all),
 * Swagger UI at /docs, ReDoc at /redoc, and the root's pointers to them.
 */
export const docs = fp<{ config: Config }>(async (app, { config }) => {
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
});
