import { pgTable, varchar } from 'drizzle-orm/pg-core';
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
