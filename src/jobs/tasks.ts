import type { TaskList } from 'graphile-worker';
import type { Deps } from '../deps.js';
import { ORDER_CONFIRMATION_TASK, orderConfirmationTask } from '../modules/orders/orders.jobs.js';
import { RESTOCK_EMAIL_TASK, restockEmailTask } from '../modules/prebooks/prebooks.jobs.js';

/** The one table of job handlers: task identifier → handler. Every handler is idempotent. */
export function taskList(deps: Deps): TaskList {
  return {
    [ORDER_CONFIRMATION_TASK]: orderConfirmationTask(deps),
    [RESTOCK_EMAIL_TASK]: restockEmailTask(deps),
  };
}
