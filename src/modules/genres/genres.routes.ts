import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from '../../app.js';

export const genresRoutes: FastifyPluginAsyncZod<RouteContext> = async (_app, _ctx) => {};
