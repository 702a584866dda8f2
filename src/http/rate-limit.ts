import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import type { Deps } from '../deps.js';
import { clientKey, rateLimitStoreClass } from '../modules/auth/auth.rate-limit.js';
import { AppError } from './errors.js';

/** The rate limiter, off by default: a route opts in with `config.rateLimit` (auth's routes do). */
export const rateLimits = fp<{ deps: Pick<Deps, 'counters' | 'clock'> }>(async (app, { deps }) => {
  await app.register(rateLimit, {
    global: false,
    // Counters in PostgreSQL, shared by every API process (one upsert per limited request).
    store: rateLimitStoreClass(deps.counters, () => deps.clock.now()),
    keyGenerator: (request) => clientKey(request.ip),
    // The contract's responses carry no rate-limit headers; only a 429 says when to retry.
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    addHeaders: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
      'retry-after': true,
    },
    errorResponseBuilder: (_request, context) =>
      new AppError({
        status: 429,
        detail: `Too many requests, retry in ${Math.ceil(context.ttl / 1000)} seconds`,
        code: 'RATE_LIMITED',
      }),
  });
});
