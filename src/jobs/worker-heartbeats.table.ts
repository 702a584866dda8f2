import { integer, pgTable, varchar } from 'drizzle-orm/pg-core';
import { timestamptzNow } from '../db/timestamptz.js';

/**
 * One row per live worker pool, keyed by graphile-worker's id for it (the `locked_by` of its jobs). A timer of the
 * worker process refreshes `seen_at`, independently of the jobs it runs; a row not refreshed within the heartbeat
 * timeout names a dead process, whose jobs any other worker's sweeper unlocks (see src/jobs/liveness.ts).
 */
export const workerHeartbeats = pgTable('worker_heartbeats', {
  workerId: varchar('worker_id', { length: 100 }).primaryKey(),
  host: varchar('host', { length: 255 }).notNull(),
  pid: integer('pid').notNull(),
  startedAt: timestamptzNow('started_at'),
  seenAt: timestamptzNow('seen_at'),
});
