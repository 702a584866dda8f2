import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { errorResponses } from '../../http/schemas.js';
import { genreCreateBody, genreResponse } from './genres.schemas.js';

export const genresRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.genres;

  app.get(
    '/genres',
    {
      schema: {
        tags: ['genres'],
        operationId: 'listGenres',
        summary: 'All genres, ordered by name',
        response: { 200: z.array(genreResponse) },
        responseDescriptions: { 200: 'Every genre' },
      },
    },
    () => service.listGenres(),
  );

  app.post(
    '/genres',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['genres'],
        operationId: 'createGenre',
        summary: 'Create a genre (admin); names are unique, case-sensitive',
        security: [{ bearerAuth: [] }],
        body: genreCreateBody,
        response: { 201: genreResponse, ...errorResponses(401, 403, 409, 413, 415, 422) },
        responseDescriptions: { 201: 'The new genre', 409: 'The genre exists (GENRE_CONFLICT)' },
      },
    },
    async (request, reply) => reply.code(201).send(await service.createGenre(request.body.name)),
  );
};
