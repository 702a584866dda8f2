import type { Deps } from '../../deps.js';
import * as repo from './analytics.repository.js';
import {
  averageOrderValue,
  decimalToHundredths,
  deltaPercentage,
  hundredthsToNumber,
  type Period,
  periodWindows,
} from './analytics.rules.js';

const asPeriod = (value: string): Period => (value === 'week' || value === 'month' ? value : 'today');

export function createAnalyticsService({ db, clock }: Deps) {
  return {
    async salesSummary(period: string) {
      const { current, prior } = periodWindows(clock.now(), asPeriod(period));
      const sales = await repo.salesInWindows(db, current, prior);
      const revenue = decimalToHundredths(sales.revenue);
      const delta = deltaPercentage(revenue, decimalToHundredths(sales.priorRevenue));
      return {
        period,
        revenue: hundredthsToNumber(revenue),
        order_count: sales.orderCount,
        aov: hundredthsToNumber(averageOrderValue(revenue, sales.orderCount)),
        delta_percentage: delta === null ? null : hundredthsToNumber(delta),
      };
    },

    async topBooks(sortBy: string, limit: number, period?: string) {
      const window = period === undefined ? undefined : periodWindows(clock.now(), asPeriod(period)).current;
      const rows = await repo.topBooks(db, sortBy === 'volume' ? 'volume' : 'revenue', limit, window);
      return {
        sort_by: sortBy,
        items: rows.map((r) => ({
          book_id: r.bookId,
          title: r.title,
          author: r.author,
          total_revenue: hundredthsToNumber(decimalToHundredths(r.totalRevenue)),
          units_sold: r.unitsSold,
        })),
      };
    },

    async lowStock(threshold: number) {
      const rows = await repo.lowStockBooks(db, threshold);
      return {
        threshold,
        total_low_stock: rows.length,
        items: rows.map((r) => ({
          book_id: r.id,
          title: r.title,
          author: r.author,
          current_stock: r.stock,
          threshold,
        })),
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
