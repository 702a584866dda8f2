import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { deliverEmail } from '../../emails/delivery.js';
import { addJob } from '../../jobs/queue.js';
import { orderConfirmationKey, renderOrderConfirmation } from './orders.emails.js';
import { findOrder, findOrderLines, findUserEmail } from './orders.repository.js';

export const ORDER_CONFIRMATION_TASK = 'order-confirmation-email';

/** Enqueued inside the checkout transaction: the job exists if and only if the order commits. */
export async function enqueueOrderConfirmation(tx: DbOrTx, orderId: number): Promise<void> {
  await addJob(tx, ORDER_CONFIRMATION_TASK, { order_id: orderId }, { jobKey: orderConfirmationKey(orderId) });
}

const payloadSchema = z.object({ order_id: z.int() });

/** Sends the confirmation of one order, at most once (deliverEmail records the cause). */
export function orderConfirmationTask(deps: Pick<Deps, 'db' | 'mailer' | 'log' | 'clock' | 'config'>): Task {
  return async (payload) => {
    const { order_id: orderId } = payloadSchema.parse(payload);
    await deliverEmail(deps, orderConfirmationKey(orderId), async () => {
      const order = await findOrder(deps.db, orderId);
      if (!order) return null;
      const email = await findUserEmail(deps.db, order.user_id);
      if (email === undefined) return null;
      const lines = await findOrderLines(deps.db, [orderId]);
      return renderOrderConfirmation(deps.config, deps.mailer.domain, deps.clock.now(), {
        orderId,
        email,
        lines: lines.map((l) => ({
          title: l.title ?? 'A book no longer in our catalog',
          author: l.author ?? 'unknown author',
          quantity: l.quantity,
          unit_price: l.unit_price,
          cover_image_url: l.cover_image_url,
          isbn: l.isbn,
        })),
      });
    });
  };
}
