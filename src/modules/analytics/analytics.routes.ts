import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from '../../http/route-context.js';
import { errorResponses } from '../../http/schemas.js';
import {
  lowStockQuery,
  lowStockResponse,
  salesSummaryQuery,
  salesSummaryResponse,
  topBooksQuery,
  topBooksResponse,
} from './analytics.schemas.js';

const security = [{ bearerAuth: [] }];

export const analyticsRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.analytics;

  app.get(
    '/admin/analytics/sales/summary',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'getSalesSummary',
        summary:
          'Revenue, orders and average order value of the current period (UTC), with the change on the prior one',
        security,
        querystring: salesSummaryQuery,
        response: { 200: salesSummaryResponse, ...errorResponses(401, 403, 422) },
        responseDescriptions: { 200: 'The sales of the period' },
      },
    },
    (request) => service.salesSummary(request.query.period),
  );

  app.get(
    '/admin/analytics/sales/top-books',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'getTopBooks',
        summary: 'Best-selling books by revenue or units, all time or in the current period',
        security,
        querystring: topBooksQuery,
        response: { 200: topBooksResponse, ...errorResponses(401, 403, 422) },
        responseDescriptions: { 200: 'The best sellers, best first' },
      },
    },
    (request) => service.topBooks(request.query.sort_by, request.query.limit, request.query.period),
  );

  app.get(
    '/admin/analytics/inventory/low-stock',
    {
      preValidation: guards.admin,
      schema: {
        tags: ['admin'],
        operationId: 'getLowStock',
        summary: 'Books with stock at or below the threshold, lowest first',
        security,
        querystring: lowStockQuery,
        response: { 200: lowStockResponse, ...errorResponses(401, 403, 422) },
        responseDescriptions: { 200: 'The books with low stock' },
      },
    },
    (request) => service.lowStock(request.query.threshold),
  );
};
