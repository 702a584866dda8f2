import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { deliverEmail } from '../../emails/delivery.js';
import { inBatches, recurringCron } from '../../jobs/maintenance.js';
import { addJob } from '../../jobs/queue.js';
import { orderConfirmationKey, renderOrderConfirmation } from './orders.emails.js';
import {
  findOrder,
  findOrderLines,
  findUserEmail,
  releaseExpiredIdempotencyKeys,
} from './orders.repository.js';

export const ORDER_CONFIRMATION_TASK = 'order-confirmation-email';

/** Enqueued inside the checkout transaction: the job exists if and only if the order commits. */
export async function enqueueOrderConfirmation(tx: DbOrTx, orderId: number): Promise<void> {
  await addJob(tx, ORDER_CONFIRMATION_TASK, { order_id: orderId }, { jobKey: orderConfirmationKey(orderId) });
}

const payloadSchema = z.object({ order_id: z.int() });

/** Sends the confirmation of one order, at most once (deliverEmail records the cause). */
export function orderConfirmationTask(deps: Pick<Deps, 'db' | 'mailer' | 'log' | 'clock' | 'config'>): Task {
  return async (payload, helpers) => {
    const { order_id: orderId } = payloadSchema.parse(payload);
    await deliverEmail(
      deps,
      orderConfirmationKey(orderId),
      async () => {
        const order = await findOrder(deps.db, orderId);
        if (!order) return null;
        const email = await findUserEmail(deps.db, order.userId);
        if (email === undefined) return null;
        const lines = await findOrderLines(deps.db, [orderId]);
        return renderOrderConfirmation(deps.config, deps.mailer.domain, deps.clock.now(), {
          orderId,
          email,
          lines: lines.map((l) => ({
            title: l.title ?? 'A book no longer in our catalog',
            author: l.author ?? 'unknown author',
            quantity: l.quantity,
            unit_price: l.unitPrice,
            cover_image_url: l.coverImageUrl,
            isbn: l.isbn,
          })),
        });
      },
      helpers,
    );
  };
}

export const IDEMPOTENCY_KEY_PURGE_TASK = 'idempotency-key-purge';

/** Every hour; a run missed while no worker was up is not made up for, the next one catches up. */
export const idempotencyKeyPurgeCron = recurringCron(IDEMPOTENCY_KEY_PURGE_TASK, '43 * * * *');

const PURGE_BATCH = 1000;

/**
 * Releases every Idempotency-Key past IDEMPOTENCY_KEY_TTL_HOURS (the order stays; its key no longer replays it),
 * in short statements so that no long lock is held. A checkout releases an expired key it meets itself, so this
 * only keeps the keys from being stored for ever. Idempotent. Returns the number released.
 */
export async function purgeExpiredIdempotencyKeys(
  deps: { db: Db; config: Pick<Deps['config'], 'IDEMPOTENCY_KEY_TTL_HOURS'> },
  now: Date,
): Promise<number> {
  const placedBefore = new Date(now.getTime() - deps.config.IDEMPOTENCY_KEY_TTL_HOURS * 60 * 60 * 1000);
  return inBatches(PURGE_BATCH, (limit) => releaseExpiredIdempotencyKeys(deps.db, placedBefore, limit));
}

export function idempotencyKeyPurgeTask(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>): Task {
  return async () => {
    const released = await purgeExpiredIdempotencyKeys(deps, deps.clock.now());
    if (released > 0) deps.log.info({ released }, 'released expired checkout idempotency keys');
  };
}
