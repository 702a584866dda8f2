import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from '../../app.js';
import { adminPage, adminPageEnvelope, errorResponses } from '../../http/schemas.js';
import { adminUserResponse, adminUsersQuery, userIdParams } from './users.schemas.js';
import { createUsersService } from './users.service.js';

const security = [{ bearerAuth: [] }];

export const usersRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { deps, guards }) => {
  const service = createUsersService(deps);

  app.get(
    '/admin/users',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        summary: 'Accounts, newest first, optionally by role and activity',
        security,
        querystring: adminUsersQuery,
        response: { 200: adminPageEnvelope(adminUserResponse), ...errorResponses(401, 403, 422) },
      },
    },
    async (request) => {
      const { items, total } = await service.listUsers(request.query);
      return adminPage(items, total, request.query.page, request.query.per_page);
    },
  );

  app.patch(
    '/admin/users/:user_id/deactivate',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        summary: 'Deactivate an account and revoke its sessions (admins cannot be deactivated)',
        security,
        params: userIdParams,
        response: { 200: adminUserResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    (request) => service.deactivateUser(request.params.user_id),
  );

  app.patch(
    '/admin/users/:user_id/reactivate',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        summary: 'Reactivate an account (its old sessions stay revoked)',
        security,
        params: userIdParams,
        response: { 200: adminUserResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    (request) => service.reactivateUser(request.params.user_id),
  );
};
