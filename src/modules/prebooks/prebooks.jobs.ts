import { eq, sql } from 'drizzle-orm';
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { allowLongStatements, type DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { deliverBatch, deliverEmail } from '../../emails/delivery.js';
import { emailDeliveries } from '../../emails/emails.table.js';
import { messageIdFor } from '../../emails/layout.js';
import { addJob } from '../../jobs/queue.js';
import { books } from '../books/books.table.js';
import { users } from '../users/users.table.js';
import { createCancelLinks } from './prebooks.cancel-link.js';
import {
  oneClickCancelHeaders,
  renderRestockAlert,
  renderRestockEmail,
  restockCause,
  restockCauseSql,
  restockSubject,
} from './prebooks.emails.js';
import { preBookings, restockWaves } from './prebooks.table.js';

export const RESTOCK_FANOUT_TASK = 'restock-fanout';
export const RESTOCK_BATCH_TASK = 'restock-batch';
/** One job per reader, as enqueued before restock waves existed; kept so that such jobs still run. */
export const RESTOCK_EMAIL_TASK = 'restock-email';

export const HOLD_EXPIRY_TASK = 'prebook-hold-expiry';
export const holdExpiryJobKey = (preBookingId: number) => `hold-expiry:${preBookingId}`;

/**
 * One durable expiry job per hold the wave granted, keyed `hold-expiry:<pre_booking_id>` and due at the hold's
 * end, added in the transaction that grants the holds (a later hold of the same pre-booking moves its job).
 */
export async function scheduleHoldExpiries(
  tx: DbOrTx,
  opts: { bookId: number; waveId: number; at: Date },
): Promise<void> {
  // On ix_pre_bookings_book_active_holds: the wave's holds are the book's active ones ending at `at`.
  await tx.execute(sql`
    SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
      SELECT ROW(
        ${HOLD_EXPIRY_TASK}::text,
        json_build_object('pre_booking_id', p.id),
        NULL::text,
        ${opts.at.toISOString()}::timestamptz,
        25::smallint,
        'hold-expiry:' || p.id,
        NULL::smallint,
        NULL::text[]
      )::graphile_worker.job_spec
      FROM ${preBookings} p
      WHERE p.book_id = ${opts.bookId} AND p.status = 'notified' AND p.hold_expired_at IS NULL
        AND p.converted_at IS NULL AND p.hold_expires_at = ${opts.at.toISOString()}::timestamptz
        AND p.wave_id = ${opts.waveId}
    ))`);
}

/** Readers per e-mail batch job: small enough that a worker's graceful stop or a crash costs little. */
export const RESTOCK_BATCH_SIZE = 200;

export const fanoutJobKey = (waveId: number) => `restock-fanout:${waveId}`;
/** The cause (ledger key, Message-ID) of one reader's alert in one wave. */

/**
 * The one job a wave needs at commit, keyed by it: the durable intent to e-mail every reader the wave flipped.
 * The readers are the pre-bookings carrying the wave's id; the job splits them into batch jobs after commit.
 */
export async function enqueueWaveFanout(tx: DbOrTx, waveId: number): Promise<void> {
  await addJob(tx, RESTOCK_FANOUT_TASK, { wave_id: waveId }, { jobKey: fanoutJobKey(waveId) });
}

const fanoutPayload = z.object({ wave_id: z.int() });

/**
 * Splits a wave into batch jobs of RESTOCK_BATCH_SIZE readers over ranges of pre-booking ids, in one transaction
 * that also marks the wave fanned out: a re-run (after a crash before the job was completed) adds nothing. Any
 * number of workers then take the batches.
 */
export function restockFanoutTask(deps: Pick<Deps, 'db' | 'log' | 'config'>): Task {
  return async (payload) => {
    const { wave_id: waveId } = fanoutPayload.parse(payload);
    await deps.db.transaction(async (tx) => {
      // One pass over the wave's readers (500 000 take seconds): the long limit of the restock itself.
      await allowLongStatements(tx, deps.config.DB_LONG_STATEMENT_TIMEOUT_MS);
      const [wave] = await tx
        .select({ bookId: restockWaves.bookId, fannedOutAt: restockWaves.fannedOutAt })
        .from(restockWaves)
        .where(eq(restockWaves.id, waveId))
        .for('update');
      // A wave goes with its book: a deleted book's readers are not e-mailed any more.
      if (!wave || wave.fannedOutAt) return;
      const result = await tx.execute<{ n: number }>(sql`
        WITH members AS (
          SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn
          FROM ${preBookings} WHERE book_id = ${wave.bookId} AND wave_id = ${waveId}
        ), starts AS (
          SELECT id AS from_id FROM members WHERE rn % ${RESTOCK_BATCH_SIZE} = 0
        ), ranges AS (
          SELECT from_id, lead(from_id) OVER (ORDER BY from_id) AS to_id FROM starts
        ), specs AS (
          SELECT ARRAY(
            SELECT ROW(
              ${RESTOCK_BATCH_TASK}::text,
              json_build_object('wave_id', ${waveId}::int, 'from_id', from_id, 'to_id', to_id),
              NULL::text, NULL::timestamptz, 25::smallint,
              'restock-batch:' || ${waveId}::int || ':' || from_id,
              NULL::smallint, NULL::text[]
            )::graphile_worker.job_spec
            FROM ranges ORDER BY from_id
          ) AS a
        )
        SELECT count(*)::int AS n
        FROM specs CROSS JOIN LATERAL graphile_worker.add_jobs(specs.a) j
        WHERE cardinality(specs.a) > 0`);
      await tx.update(restockWaves).set({ fannedOutAt: new Date() }).where(eq(restockWaves.id, waveId));
      deps.log.info({ waveId, batches: result.rows[0]?.n ?? 0 }, 'restock wave split into e-mail batches');
    });
  };
}

const batchPayload = z.object({ wave_id: z.int(), from_id: z.int(), to_id: z.int().nullable() });

/**
 * E-mails the readers of one batch of a wave: one query for the batch's recipients that are still due (notified
 * by this wave and not cancelled since, active account, no delivery recorded for their cause), the message built
 * once for the whole batch, then deliverBatch (a pooled transport, each acceptance recorded by the next ledger
 * write). A re-run after a crash or a failure sends only what was not recorded.
 */
export function restockBatchTask(
  deps: Pick<Deps, 'db' | 'pool' | 'mailer' | 'log' | 'clock' | 'config'> & Partial<Pick<Deps, 'metrics'>>,
): Task {
  const links = createCancelLinks(deps.config.SECRET_KEY, deps.config.PUBLIC_BASE_URL);
  return async (payload, helpers) => {
    const { wave_id: waveId, from_id: fromId, to_id: toId } = batchPayload.parse(payload);
    const [wave] = await deps.db
      .select({
        bookId: restockWaves.bookId,
        title: restockWaves.bookTitle,
        author: restockWaves.bookAuthor,
        holdUntil: restockWaves.holdUntil,
      })
      .from(restockWaves)
      .where(eq(restockWaves.id, waveId));
    if (!wave) return;
    const now = deps.clock.now();
    const due = await deps.db.execute<{ id: number; email: string }>(sql`
      SELECT p.id, u.email
      FROM ${preBookings} p JOIN ${users} u ON u.id = p.user_id
      WHERE p.id >= ${fromId} AND (${toId}::int IS NULL OR p.id < ${toId}::int)
        AND p.book_id = ${wave.bookId} AND p.wave_id = ${waveId} AND p.status = 'notified' AND u.is_active
        -- A held copy that is no longer held (expired, bought, handed back) is not announced any more.
        AND (${wave.holdUntil === null} OR (p.hold_expires_at > ${now.toISOString()}::timestamptz
             AND p.hold_expired_at IS NULL AND p.converted_at IS NULL))
        AND NOT EXISTS (
          SELECT 1 FROM ${emailDeliveries} d WHERE d.cause = ${restockCauseSql(sql`p.id`, waveId)}
        )
      ORDER BY p.id`);
    if (due.rows.length === 0) return;
    const alert = renderRestockAlert({
      bookId: wave.bookId,
      title: wave.title,
      author: wave.author,
      storeUrl: deps.config.STORE_URL,
      holdUntil: wave.holdUntil,
      now,
    });
    const prepared = await deps.mailer.prepare(alert);
    const preBookingOf = new Map(due.rows.map((r) => [restockCause(r.id, waveId), r.id]));
    const outcome = await deliverBatch(deps, {
      messages: due.rows.map((r) => {
        const cause = restockCause(r.id, waveId);
        return { cause, to: r.email, messageId: messageIdFor(cause, deps.mailer.domain) };
      }),
      subject: restockSubject(wave.title),
      send: (m) =>
        prepared.send(m.to, m.messageId, oneClickCancelHeaders(links.urlFor(preBookingOf.get(m.cause)!))),
      parallelism: deps.mailer.parallelism,
      signal: helpers.abortSignal,
      job: helpers,
    });
    deps.log.info(
      { waveId, fromId, toId, sent: outcome.sent, mode: deps.mailer.mode },
      'restock batch delivered',
    );
  };
}

const legacyPayload = z.object({ pre_booking_id: z.int() });

/**
 * Sends the restock alert of one pre-booking, at most once (deliverEmail records the cause `restock:<pre_booking_id>`):
 * the per-reader job of the restocks committed before waves existed. Nothing is sent when the account was
 * deactivated or the pre-booking cancelled since the restock.
 */
export function restockEmailTask(deps: Pick<Deps, 'db' | 'mailer' | 'log' | 'clock' | 'config'>): Task {
  const links = createCancelLinks(deps.config.SECRET_KEY, deps.config.PUBLIC_BASE_URL);
  return async (payload, helpers) => {
    const { pre_booking_id: id } = legacyPayload.parse(payload);
    await deliverEmail(
      deps,
      restockCause(id),
      async () => {
        const [row] = await deps.db
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
          .where(eq(preBookings.id, id));
        if (!row || !row.isActive || row.status !== 'notified') return null;
        return renderRestockEmail({
          preBookingId: id,
          to: row.email,
          bookId: row.bookId,
          title: row.title,
          author: row.author,
          storeUrl: deps.config.STORE_URL,
          domain: deps.mailer.domain,
          cancelUrl: links.urlFor(id),
          now: deps.clock.now(),
        });
      },
      helpers,
    );
  };
}
