import { and, asc, desc, eq, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { books } from '../books/books.table.js';
import { orderItems, orders } from '../orders/orders.table.js';
import type { Window } from './analytics.rules.js';

const within = (w: Window) => and(gte(orders.createdAt, w.start), lt(orders.createdAt, w.end))!;
const lineRevenue = sql`${orderItems.quantity} * ${orderItems.unitPrice}`;
// Sums as exact decimal text: numeric would come back as text anyway, and the cast says so in the query.
const revenueText = (filter?: SQL) =>
  filter === undefined
    ? sql<string>`sum(${lineRevenue})::text`
    : // Drizzle has no aggregate FILTER clause.
      sql<string>`coalesce(sum(${lineRevenue}) filter (where ${filter}), 0)::text`;

/** Revenue (exact decimal text) and order count of confirmed orders in two adjacent windows, in one query. */
export async function salesInWindows(
  db: DbOrTx,
  current: Window,
  prior: Window,
): Promise<{ revenue: string; orderCount: number; priorRevenue: string }> {
  const [row] = await db
    .select({
      revenue: revenueText(within(current)),
      orderCount: sql<number>`count(distinct ${orders.id}) filter (where ${within(current)})`.mapWith(Number),
      priorRevenue: revenueText(within(prior)),
    })
    .from(orders)
    .innerJoin(orderItems, eq(orderItems.orderId, orders.id))
    .where(
      and(
        eq(orders.status, 'confirmed'),
        gte(orders.createdAt, prior.start),
        lt(orders.createdAt, current.end),
      ),
    );
  return {
    revenue: row?.revenue ?? '0',
    orderCount: row?.orderCount ?? 0,
    priorRevenue: row?.priorRevenue ?? '0',
  };
}

export type TopBookRow = {
  bookId: number;
  title: string;
  author: string;
  totalRevenue: string;
  unitsSold: number;
};

/** Best-selling existing books by revenue or by units, ties by book id; optionally within a window. */
export function topBooks(
  db: DbOrTx,
  sortBy: 'revenue' | 'volume',
  limit: number,
  window?: Window,
): Promise<TopBookRow[]> {
  const measure = sortBy === 'volume' ? sql`sum(${orderItems.quantity})` : sql`sum(${lineRevenue})`;
  return db
    .select({
      bookId: books.id,
      title: books.title,
      author: books.author,
      totalRevenue: revenueText(),
      unitsSold: sql<number>`sum(${orderItems.quantity})::bigint`.mapWith(Number),
    })
    .from(orderItems)
    .innerJoin(orders, eq(orders.id, orderItems.orderId))
    .innerJoin(books, eq(books.id, orderItems.bookId))
    .where(and(eq(orders.status, 'confirmed'), window ? within(window) : undefined))
    .groupBy(books.id)
    .orderBy(desc(measure), asc(books.id))
    .limit(limit);
}

export function lowStockBooks(db: DbOrTx, threshold: number) {
  return db
    .select({ id: books.id, title: books.title, author: books.author, stock: books.stockQuantity })
    .from(books)
    .where(lte(books.stockQuantity, threshold))
    .orderBy(asc(books.stockQuantity), asc(books.id));
}
