import type { CronItem, TaskList } from 'graphile-worker';
import type { Deps } from '../deps.js';
import {
  PASSWORD_RESET_EMAIL_TASK,
  passwordResetEmailTask,
  RATE_LIMIT_PURGE_TASK,
  rateLimitPurgeCron,
  rateLimitPurgeTask,
  REFRESH_TOKEN_PURGE_TASK,
  refreshTokenPurgeCron,
  refreshTokenPurgeTask,
  VERIFY_EMAIL_TASK,
  verifyEmailTask,
} from '../modules/auth/auth.jobs.js';
import {
  IDEMPOTENCY_KEY_PURGE_TASK,
  idempotencyKeyPurgeCron,
  idempotencyKeyPurgeTask,
  ORDER_CONFIRMATION_TASK,
  orderConfirmationTask,
} from '../modules/orders/orders.jobs.js';
import {
  HOLD_SWEEP_TASK,
  holdExpiryTask,
  holdSweepCron,
  holdSweepTask,
} from '../modules/prebooks/prebooks.hold-jobs.js';
import {
  HOLD_EXPIRY_TASK,
  RESTOCK_BATCH_TASK,
  RESTOCK_EMAIL_TASK,
  RESTOCK_FANOUT_TASK,
  restockBatchTask,
  restockEmailTask,
  restockFanoutTask,
} from '../modules/prebooks/prebooks.jobs.js';

/** The one table of job handlers: task identifier → handler. Every handler is idempotent. */
export function taskList(deps: Deps): TaskList {
  return {
    [ORDER_CONFIRMATION_TASK]: orderConfirmationTask(deps),
    [IDEMPOTENCY_KEY_PURGE_TASK]: idempotencyKeyPurgeTask(deps),
    [RESTOCK_FANOUT_TASK]: restockFanoutTask(deps),
    [RESTOCK_BATCH_TASK]: restockBatchTask(deps),
    [RESTOCK_EMAIL_TASK]: restockEmailTask(deps),
    [REFRESH_TOKEN_PURGE_TASK]: refreshTokenPurgeTask(deps),
    [RATE_LIMIT_PURGE_TASK]: rateLimitPurgeTask(deps),
    [VERIFY_EMAIL_TASK]: verifyEmailTask(deps),
    [PASSWORD_RESET_EMAIL_TASK]: passwordResetEmailTask(deps),
    [HOLD_EXPIRY_TASK]: holdExpiryTask(deps),
    [HOLD_SWEEP_TASK]: holdSweepTask(deps),
  };
}

/** Recurring jobs (graphile-worker cron); each names a task of the table above. */
export const cronItems: CronItem[] = [
  refreshTokenPurgeCron,
  rateLimitPurgeCron,
  holdSweepCron,
  idempotencyKeyPurgeCron,
];
