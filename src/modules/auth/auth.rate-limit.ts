import { isIPv4, isIPv6 } from 'node:net';
import { inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rateLimitCounters } from './auth.table.js';

export interface Counter {
  count: number;
  /** When the counter's window ends (ms since the epoch). */
  resetAt: number;
}

/**
 * Counters in fixed windows, the one state behind every rate limit and throttle. Shared by all API processes
 * when it lives in PostgreSQL, so that N replicas enforce one limit, not N.
 */
export interface CounterStore {
  /** Adds one to each key's counter in its current window (a new window starts when the last one ended). */
  hit(keys: string[], windowMs: number, now: Date): Promise<Map<string, Counter>>;
  /** The live counters of these keys, unchanged; keys without one (or with an ended window) are absent. */
  peek(keys: string[], now: Date): Promise<Map<string, Counter>>;
  /** Forgets these keys' counters. */
  reset(keys: string[]): Promise<void>;
  /** Deletes up to `limit` counters whose window has ended; the number deleted. */
  purgeExpired(now: Date, limit: number): Promise<number>;
}

type CounterRow = { key: string; count: number; reset_ms: number } & Record<string, unknown>;

const toMap = (rows: CounterRow[]) =>
  new Map(rows.map((r) => [r.key, { count: r.count, resetAt: Number(r.reset_ms) }]));

/** The PostgreSQL store: one statement per call (an upsert for `hit`). */
export function createPgCounterStore(db: Db): CounterStore {
  return {
    async hit(keys, windowMs, now) {
      if (keys.length === 0) return new Map();
      const nowText = now.toISOString();
      const resetText = new Date(now.getTime() + windowMs).toISOString();
      const values = sql.join(
        [...new Set(keys)].map((k) => sql`(${k}, 1, ${resetText}::timestamptz)`),
        sql`, `,
      );
      const result = await db.execute<CounterRow>(sql`
        INSERT INTO rate_limit_counters AS c (key, count, reset_at) VALUES ${values}
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN c.reset_at <= ${nowText}::timestamptz THEN 1 ELSE c.count + 1 END,
          reset_at = CASE WHEN c.reset_at <= ${nowText}::timestamptz THEN excluded.reset_at ELSE c.reset_at END
        RETURNING key, count, (extract(epoch FROM reset_at) * 1000)::float8 AS reset_ms`);
      return toMap(result.rows);
    },

    async peek(keys, now) {
      if (keys.length === 0) return new Map();
      const result = await db.execute<CounterRow>(sql`
        SELECT key, count, (extract(epoch FROM reset_at) * 1000)::float8 AS reset_ms FROM rate_limit_counters
         WHERE key IN (${sql.join(
           keys.map((k) => sql`${k}`),
           sql`, `,
         )}) AND reset_at > ${now.toISOString()}::timestamptz`);
      return toMap(result.rows);
    },

    async reset(keys) {
      if (keys.length === 0) return;
      await db.delete(rateLimitCounters).where(inArray(rateLimitCounters.key, keys));
    },

    async purgeExpired(now, limit) {
      const expired = db
        .select({ key: rateLimitCounters.key })
        .from(rateLimitCounters)
        .where(lt(rateLimitCounters.resetAt, now))
        .limit(limit)
        .for('update', { skipLocked: true });
      const deleted = await db
        .delete(rateLimitCounters)
        .where(inArray(rateLimitCounters.key, expired))
        .returning({ key: rateLimitCounters.key });
      return deleted.length;
    },
  };
}

/**
 * A `store` for @fastify/rate-limit on a CounterStore. Each route gets a child whose keys start with the route
 * (`rl:POST /auth/login:`), so that the limits of two routes never share a counter.
 */
export function rateLimitStoreClass(counters: CounterStore, now: () => Date) {
  type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;
  return class PgRateLimitStore {
    constructor(
      _globalParams?: unknown,
      private readonly prefix = 'rl:',
    ) {}

    incr(key: string, cb: Callback, timeWindow: number): void {
      const at = now();
      const fullKey = this.prefix + key;
      counters.hit([fullKey], timeWindow, at).then((rows) => {
        const row = rows.get(fullKey);
        if (!row) return cb(new Error('rate-limit counter missing after upsert'));
        cb(null, { current: row.count, ttl: Math.max(0, row.resetAt - at.getTime()) });
      }, cb);
    }

    read(key: string, cb: Callback): void {
      const at = now();
      const fullKey = this.prefix + key;
      counters.peek([fullKey], at).then((rows) => {
        const row = rows.get(fullKey);
        cb(null, row ? { current: row.count, ttl: row.resetAt - at.getTime() } : { current: 0, ttl: 0 });
      }, cb);
    }

    /** At run time the plugin passes the route's merged limit options, whose `routeInfo` is the route. */
    child(routeOptions: object) {
      const options = routeOptions as {
        routeInfo?: { method?: string | string[]; url?: string };
        groupId?: string;
      };
      const info = options.routeInfo;
      const method = Array.isArray(info?.method) ? info.method.join(',') : (info?.method ?? '');
      const name = options.groupId ?? `${method} ${info?.url ?? ''}`;
      return new PgRateLimitStore(undefined, `rl:${name}:`);
    }
  };
}

/**
 * The client address as limits count it: an IPv4 address as is, an IPv6 address reduced to its /64 (one
 * subscriber usually holds a whole /64, so rotating within it must not escape a limit).
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
