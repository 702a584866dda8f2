import type { TaskList } from 'graphile-worker';
import type { Deps } from '../deps.js';
import { RESTOCK_EMAIL_TASK, restockEmailTask } from '../modules/prebooks/prebooks.jobs.js';

/** The one table of job handlers: task identifier → handler. Every handler is idempotent. */
export function taskList(deps: Deps): TaskList {
  return {
    [RESTOCK_EMAIL_TASK]: restockEmailTask(deps),
  };
}
