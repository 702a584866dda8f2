import type { Deps } from '../deps.js';
import type { Services } from '../services.js';
import type { AuthGuards } from './auth.js';

/** What every route plugin receives: the process's deps, the auth guards and the services built from the deps. */
export interface RouteContext {
  deps: Deps;
  guards: AuthGuards;
  services: Services;
}
