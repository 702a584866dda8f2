import type { TaskList } from 'graphile-worker';
import type { Deps } from '../deps.js';

/** The one table of job handlers: task identifier → handler. Every handler is idempotent. */
export function taskList(_deps: Deps): TaskList {
  return {};
}
