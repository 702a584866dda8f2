import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';

const health = z.object({ status: z.literal('ok'), version: z.string() }).meta({ id: 'HealthResponse' });
const readiness = z.object({ status: z.string(), database: z.string() }).meta({ id: 'ReadinessResponse' });

export const healthRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { deps }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        operationId: 'getHealth',
        summary: 'Liveness: the process answers (no database check)',
        response: { 200: health },
        responseDescriptions: { 200: 'The process is up' },
      },
    },
    () => ({ status: 'ok' as const, version: '1.0.0' }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers',
        response: { 200: readiness, 503: readiness },
        responseDescriptions: { 200: 'Ready to serve requests', 503: 'The database does not answer' },
      },
    },
    async (_request, reply) => {
      try {
        await Promise.race([
          deps.db.execute(sql`SELECT 1`),
          new Promise((_, reject) => setTimeout(() => reject(new Error('database timeout')), 2000).unref()),
        ]);
        return { status: 'ok', database: 'ok' };
      } catch {
        return reply.code(503).send({ status: 'unavailable', database: 'unavailable' });
      }
    },
  );
};
