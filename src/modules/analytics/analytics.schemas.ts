import { z } from 'zod';
import { laxInt } from '../../http/schemas.js';

const period = z.string().regex(/^(today|week|month)$/);

export const salesSummaryQuery = z.object({
  period: period
    .default('today')
    .meta({ description: '`today`, `week` (ISO, from Monday) or `month`, in UTC' }),
});

export const salesSummaryResponse = z
  .object({
    period: z.string(),
    revenue: z.number(),
    order_count: z.int(),
    aov: z.number().meta({ description: 'Average order value' }),
    delta_percentage: z
      .number()
      .nullable()
      .meta({ description: 'Revenue change on the prior period in percent; null when that had none' }),
  })
  .meta({ id: 'SalesSummaryResponse' });

export const topBooksQuery = z.object({
  sort_by: z
    .string()
    .regex(/^(revenue|volume)$/)
    .default('revenue')
    .meta({ description: '`revenue` or `volume` (units sold)' }),
  limit: laxInt({ min: 1, max: 50 }).default(10).meta({ description: 'How many books (1..50)' }),
  period: period.optional().meta({ description: '`today`, `week` or `month` (UTC); all time when omitted' }),
});

export const topBookEntry = z
  .object({
    book_id: z.int(),
    title: z.string(),
    author: z.string(),
    total_revenue: z.number(),
    units_sold: z.int(),
  })
  .meta({ id: 'TopBookEntry' });

export const topBooksResponse = z
  .object({
    sort_by: z.string(),
    items: z.array(topBookEntry),
  })
  .meta({ id: 'TopBooksResponse' });

export const lowStockQuery = z.object({
  threshold: laxInt({ min: 0 }).default(10).meta({ description: 'Books with at most this stock' }),
});

export const lowStockBookEntry = z
  .object({
    book_id: z.int(),
    title: z.string(),
    author: z.string(),
    current_stock: z.int(),
    threshold: z.int(),
  })
  .meta({ id: 'LowStockBookEntry' });

export const lowStockResponse = z
  .object({
    threshold: z.int(),
    total_low_stock: z.int(),
    items: z.array(lowStockBookEntry),
  })
  .meta({ id: 'LowStockResponse' });
