import type { CronItem, TaskList } from 'graphile-worker';
import type { Deps } from '../deps.js';
import {
  RATE_LIMIT_PURGE_TASK,
  rateLimitPurgeCron,
  rateLimitPurgeTask,
  REFRESH_TOKEN_PURGE_TASK,
  refreshTokenPurgeCron,
  refreshTokenPurgeTask,
} from '../modules/auth/auth.jobs.js';
import { ORDER_CONFIRMATION_TASK, orderConfirmationTask } from '../modules/orders/orders.jobs.js';
import { RESTOCK_EMAIL_TASK, restockEmailTask } from '../modules/prebooks/prebooks.jobs.js';

/** The one table of job handlers: task identifier → handler. Every handler is idempotent. */
export function taskList(deps: Deps): TaskList {
  return {
    [ORDER_CONFIRMATION_TASK]: orderConfirmationTask(deps),
    [RESTOCK_EMAIL_TASK]: restockEmailTask(deps),
    [REFRESH_TOKEN_PURGE_TASK]: refreshTokenPurgeTask(deps),
    [RATE_LIMIT_PURGE_TASK]: rateLimitPurgeTask(deps),
  };
}

/** Recurring jobs (graphile-worker cron); each names a task of the table above. */
export const cronItems: CronItem[] = [refreshTokenPurgeCron, rateLimitPurgeCron];
