import { index, pgTable, varchar } from 'drizzle-orm/pg-core';
import { timestamptzNow } from '../db/timestamptz.js';

/**
 * One row per delivered e-mail, keyed by its cause (the job key, e.g. `order-confirmation:42`): a job that runs
 * again after a crash finds the row and does not send a second message.
 */
export const emailDeliveries = pgTable('email_deliveries', {
  cause: varchar('cause', { length: 255 }).primaryKey(),
  recipient: varchar('recipient', { length: 255 }).notNull(),
  subject: varchar('subject', { length: 500 }).notNull(),
  messageId: varchar('message_id', { length: 255 }).notNull(),
  sentAt: timestamptzNow('sent_at'),
});

/**
 * The e-mails being sent right now, each claimed by the worker sending it (its graphile-worker id, as in
 * worker_heartbeats) before the message leaves: a second run of the same cause (a job unlocked while its worker
 * is still alive) cannot claim it and sends nothing. A claim goes once its cause is recorded in email_deliveries
 * (or the send failed), when its worker stops, or when its worker is declared dead.
 */
export const emailClaims = pgTable(
  'email_claims',
  {
    cause: varchar('cause', { length: 255 }).primaryKey(),
    workerId: varchar('worker_id', { length: 100 }).notNull(),
    claimedAt: timestamptzNow('claimed_at'),
  },
  (t) => [index('ix_email_claims_worker').on(t.workerId)],
);
