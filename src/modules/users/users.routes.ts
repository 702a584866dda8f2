import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from '../../http/route-context.js';
import { adminPage, errorResponses } from '../../http/schemas.js';
import { adminUserResponse, adminUsersQuery, userIdParams, userListResponse } from './users.schemas.js';

const security = [{ bearerAuth: [] }];

export const usersRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.users;

  app.get(
    '/admin/users',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'listUsers',
        summary: 'Accounts, newest first, optionally by role and activity',
        security,
        querystring: adminUsersQuery,
        response: { 200: userListResponse, ...errorResponses(401, 403, 422) },
        responseDescriptions: { 200: 'A page of accounts' },
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
        operationId: 'deactivateUser',
        summary: 'Deactivate an account and revoke its sessions (admins cannot be deactivated)',
        security,
        params: userIdParams,
        response: { 200: adminUserResponse, ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: {
          200: 'The account, now inactive',
          403: 'Not an admin, or the target is an admin (ADMN_CANNOT_DEACTIVATE_ADMIN)',
          404: 'No such account (USER_NOT_FOUND)',
        },
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
        operationId: 'reactivateUser',
        summary: 'Reactivate an account (its old sessions stay revoked)',
        security,
        params: userIdParams,
        response: { 200: adminUserResponse, ...errorResponses(401, 403, 404, 422) },
        responseDescriptions: { 200: 'The account, now active', 404: 'No such account (USER_NOT_FOUND)' },
      },
    },
    (request) => service.reactivateUser(request.params.user_id),
  );
};
