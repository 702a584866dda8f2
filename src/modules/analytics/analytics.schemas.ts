import { z } from 'zod';
import { laxInt } from '../../http/schemas.js';

const period = z.string().regex(/^(today|week|month)$/);

export const salesSummaryQuery = z.object({ period: period.default('today') });

export const salesSummaryResponse = z.object({
  period: z.string(),
  revenue: z.number(),
  order_count: z.int(),
  aov: z.number(),
  delta_percentage: z.number().nullable(),
});

export const topBooksQuery = z.object({
  sort_by: z
    .string()
    .regex(/^(revenue|volume)$/)
    .default('revenue'),
  limit: laxInt({ min: 1, max: 50 }).default(10),
  period: period.optional(),
});

export const topBooksResponse = z.object({
  sort_by: z.string(),
  items: z.array(
    z.object({
      book_id: z.int(),
      title: z.string(),
      author: z.string(),
      total_revenue: z.number(),
      units_sold: z.int(),
    }),
  ),
});

export const lowStockQuery = z.object({ threshold: laxInt({ min: 0 }).default(10) });

export const lowStockResponse = z.object({
  threshold: z.int(),
  total_low_stock: z.int(),
  items: z.array(
    z.object({
      book_id: z.int(),
      title: z.string(),
      author: z.string(),
      current_stock: z.int(),
      threshold: z.int(),
    }),
  ),
});
