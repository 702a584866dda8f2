import { asc, lte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { books } from '../books/books.table.js';
import type { Window } from './analytics.rules.js';

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const within = (w: Window) => sql`o.created_at >= ${ts(w.start)} and o.created_at < ${ts(w.end)}`;

/** Revenue (exact decimal text) and order count of confirmed orders in two adjacent windows, in one query. */
export async function salesInWindows(
  db: DbOrTx,
  current: Window,
  prior: Window,
): Promise<{ revenue: string; orderCount: number; priorRevenue: string }> {
  const result = await db.execute<{ revenue: string; order_count: number; prior_revenue: string }>(sql`
    select
      coalesce(sum(oi.quantity * oi.unit_price) filter (where ${within(current)}), 0)::text as revenue,
      count(distinct o.id) filter (where ${within(current)}) as order_count,
      coalesce(sum(oi.quantity * oi.unit_price) filter (where ${within(prior)}), 0)::text as prior_revenue
    from orders o
    join order_items oi on oi.order_id = o.id
    where o.status = 'confirmed'
      and o.created_at >= ${ts(prior.start)} and o.created_at < ${ts(current.end)}
  `);
  const row = result.rows[0];
  return {
    revenue: row?.revenue ?? '0',
    orderCount: Number(row?.order_count ?? 0),
    priorRevenue: row?.prior_revenue ?? '0',
  };
}

export type TopBookRow = {
  book_id: number;
  title: string;
  author: string;
  total_revenue: string;
  units_sold: number;
};

/** Best-selling existing books by revenue or by units, ties by book id; optionally within a window. */
export async function topBooks(
  db: DbOrTx,
  sortBy: 'revenue' | 'volume',
  limit: number,
  window?: Window,
): Promise<TopBookRow[]> {
  const measure = sortBy === 'volume' ? sql`sum(oi.quantity)` : sql`sum(oi.quantity * oi.unit_price)`;
  const result = await db.execute<TopBookRow>(sql`
    select b.id as book_id, b.title, b.author,
      sum(oi.quantity * oi.unit_price)::text as total_revenue,
      sum(oi.quantity)::bigint as units_sold
    from order_items oi
    join orders o on o.id = oi.order_id
    join books b on b.id = oi.book_id
    where o.status = 'confirmed' ${window ? sql`and ${within(window)}` : sql``}
    group by b.id
    order by ${measure} desc, b.id asc
    limit ${limit}
  `);
  return result.rows.map((r) => ({ ...r, units_sold: Number(r.units_sold) }));
}

export function lowStockBooks(db: DbOrTx, threshold: number) {
  return db
    .select({ id: books.id, title: books.title, author: books.author, stock: books.stockQuantity })
    .from(books)
    .where(lte(books.stockQuantity, threshold))
    .orderBy(asc(books.stockQuantity), asc(books.id));
}
