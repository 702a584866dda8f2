import { eq, sql } from 'drizzle-orm';
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { deliverEmail } from '../../emails/delivery.js';
import { books } from '../books/books.table.js';
import { users } from '../users/users.table.js';
import { renderRestockEmail } from './prebooks.emails.js';
import { preBookings } from './prebooks.table.js';

export const RESTOCK_EMAIL_TASK = 'restock-email';

export const restockJobKey = (preBookingId: number) => `restock:${preBookingId}`;

/**
 * One durable restock e-mail job per pre-booking notified by the stock change whose account is active, keyed
 * `restock:<pre_booking_id>`, added in bulk with graphile_worker.add_jobs inside the caller's transaction (one
 * add_job call per recipient is too slow for 100 000 recipients). Returns the number of jobs added.
 */
export async function enqueueRestockEmails(
  tx: DbOrTx,
  opts: { bookId: number; stockChangeId: number },
): Promise<number> {
  // MATERIALIZED: the array is built once although the statement reads it twice.
  const result = await tx.execute<{ n: number }>(sql`
    WITH s AS MATERIALIZED (
      SELECT ARRAY(
        SELECT ROW(
          ${RESTOCK_EMAIL_TASK}::text,
          json_build_object('pre_booking_id', p.id),
          NULL::text,
          NULL::timestamptz,
          25::smallint,
          'restock:' || p.id,
          NULL::smallint,
          NULL::text[]
        )::graphile_worker.job_spec
        FROM ${preBookings} p
        JOIN ${users} u ON u.id = p.user_id
        WHERE p.book_id = ${opts.bookId} AND p.stock_change_id = ${opts.stockChangeId} AND u.is_active
      ) AS specs
    )
    SELECT count(*)::int AS n
    FROM s CROSS JOIN LATERAL graphile_worker.add_jobs(s.specs) j
    WHERE cardinality(s.specs) > 0`);
  return result.rows[0]?.n ?? 0;
}

const payloadSchema = z.object({ pre_booking_id: z.int() });

/**
 * Sends the restock alert of one pre-booking, at most once (deliverEmail records the cause). Nothing is sent when
 * the account was deactivated or the pre-booking cancelled since the restock.
 */
export function restockEmailTask(deps: Pick<Deps, 'db' | 'mailer' | 'log' | 'clock' | 'config'>): Task {
  // Prepared once: a broadcast runs this query for every recipient.
  const findRecipient = deps.db
    .select({
      status: preBookings.status,
      email: users.email,
      isActive: users.isActive,
      bookId: books.id,
      title: books.title,
      author: books.author,
    })
    .from(preBookings)
    .innerJoin(users, eq(users.id, preBookings.userId))
    .innerJoin(books, eq(books.id, preBookings.bookId))
    .where(eq(preBookings.id, sql.placeholder('id')))
    .prepare('restock_email_recipient');

  return async (payload) => {
    const { pre_booking_id: id } = payloadSchema.parse(payload);
    await deliverEmail(deps, restockJobKey(id), async () => {
      const [row] = await findRecipient.execute({ id });
      if (!row || !row.isActive || row.status !== 'notified') return null;
      return renderRestockEmail({
        preBookingId: id,
        to: row.email,
        bookId: row.bookId,
        title: row.title,
        author: row.author,
        storeUrl: deps.config.STORE_URL,
        domain: deps.mailer.domain,
        now: deps.clock.now(),
      });
    });
  };
}
