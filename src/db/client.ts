import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { parsePgTimestamptz } from './timestamptz.js';

export type Db = NodePgDatabase;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Repositories take either the pool-bound database or the caller's transaction. */
export type DbOrTx = Db | Tx;

// NUMERIC stays a string (money is exact); BIGINT counts come back as JS numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// Plain pool queries read timestamptz with microseconds too (Drizzle's own queries hand the text to the column).
const parseTimestamptzAsDate = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (
  text: string,
) => unknown;
pg.types.setTypeParser(
  pg.types.builtins.TIMESTAMPTZ,
  (v) => parsePgTimestamptz(v) ?? parseTimestamptzAsDate(v),
);

/**
 * Values of a named read as Drizzle's columns read them: dates, timestamps and intervals (and arrays of them, and
 * of numerics) as the text PostgreSQL sends; everything else as the pool reads it (NUMERIC text, BIGINT numbers).
 */
const AS_TEXT_TYPES = new Set([1082, 1114, 1184, 1186, 1182, 1115, 1185, 1187, 1231]);
const asText = (value: string) => value;
const readTypes = {
  getTypeParser: (oid: number, format?: string): ((value: string) => unknown) =>
    AS_TEXT_TYPES.has(oid)
      ? asText
      : (pg.types.getTypeParser(oid, (format ?? 'text') as 'text') as (value: string) => unknown),
};

/** What ArrayRead reads and sets of pg's (8.x) Query and Result. */
interface QueryInternals {
  name: string;
  types: unknown;
  _rowMode: string;
  _result: {
    rowAsArray: boolean;
    parseRow: unknown;
    _parseRowAsArray: unknown;
    _types: unknown;
    fields: unknown[];
    _parsers: unknown[] | undefined;
  };
  _accumulateRows: boolean;
}

/**
 * pg's Query for a named read, rows as arrays, made without two costs pg's own has for every query: copying the
 * query's config object (pg clones it by property descriptors, ~2.5 µs; built from the text it copies nothing),
 * and, on the row description, a prebuilt row object made by spreading a null-prototype dictionary of the column
 * names (V8's slow clone path, ~3.5 µs for a book's twelve columns), which only rows read as objects use. Here the
 * row description gives the columns' parsers and nothing else. A named statement is one statement (PostgreSQL
 * prepares no more), so there is one description.
 */
class ArrayRead extends pg.Query {
  constructor(
    name: string,
    text: string,
    values: unknown[] | undefined,
    callback: (err: Error | undefined, res?: unknown) => void,
  ) {
    super(text, values, callback as never);
    const self = this as unknown as QueryInternals;
    self.name = name;
    self.types = readTypes;
    self._rowMode = 'array';
    const result = self._result;
    result.rowAsArray = true;
    result.parseRow = result._parseRowAsArray;
    result._types = readTypes;
  }

  handleRowDescription(msg: { fields: { dataTypeID: number; format?: string }[] }): void {
    const self = this as unknown as QueryInternals;
    const fields = msg.fields;
    const parsers = new Array<(value: string) => unknown>(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      parsers[i] = readTypes.getTypeParser(field.dataTypeID, field.format || 'text');
    }
    self._result.fields = fields;
    self._result._parsers = parsers;
    // pg's rule (rows are kept when there is a callback); a named read always has one.
    self._accumulateRows = true;
  }
}

/** A read statement run by name on the pool: rows as arrays, in the order of the statement's columns. */
export type NamedRead = (values: readonly unknown[]) => Promise<unknown[][]>;

/**
 * For the hottest reads (the catalog): the statement is parsed once per connection (a named statement) and each
 * call goes straight to the pool, without an ORM layer per call; its values read as Drizzle's columns read them.
 * Errors are pg's own (db/errors.ts reads both those and Drizzle's wrapped ones).
 */
export function namedRead(pool: pg.Pool, name: string, text: string): NamedRead {
  const config: pg.QueryArrayConfig = { name, text, rowMode: 'array', types: readTypes };
  // Callback-style on the pool, one promise of our own: pool.query's promise form makes two (its promise and a
  // .catch that rewrites the stack) and a .then for the rows a third, each a microtask hop per read.
  const query = pool.query.bind(pool) as unknown as QueryWithCallback;
  return (values) =>
    new Promise((resolve, reject) => {
      query(config, values, (err, result) => {
        if (err) reject(err);
        else resolve(result!.rows);
      });
    });
}

/** pg's query(config, values, callback), which its typings only declare for a config that carries its values. */
type QueryWithCallback = (
  config: pg.QueryArrayConfig,
  values: readonly unknown[],
  callback: (err: Error | undefined, result?: pg.QueryArrayResult<unknown[]>) => void,
) => void;

/** How long one request may hold the database; see README "Bounded database work". */
export interface DbLimits {
  /** Server-side limit per statement (statement_timeout). */
  statementTimeoutMs: number;
  /** Server-side limit on waiting for a lock (lock_timeout). */
  lockTimeoutMs: number;
  /** Waiting for a pool slot plus establishing a connection. */
  connectTimeoutMs: number;
}

/**
 * Past the statement timeout the server cancels the statement itself (57014); the client gives up only this much
 * later, when not even the cancellation came back: the network or the server is frozen.
 */
export const READ_DEADLINE_MARGIN_MS = 1000;

const SET_LOCAL_STATEMENT_TIMEOUT = /^\s*SET\s+LOCAL\s+statement_timeout\s*(?:=|TO)\s*'?(\d+)'?\s*;?\s*$/i;

/** 0 (no statement timeout) means no read deadline either. */
const readDeadline = (statementTimeoutMs: number) =>
  statementTimeoutMs > 0 ? statementTimeoutMs + READ_DEADLINE_MARGIN_MS : 0;

type QueryCallback = (err: Error | null, res?: unknown) => void;

/**
 * A client with a read deadline on every query: an answer that does not come within the statement timeout plus
 * READ_DEADLINE_MARGIN_MS destroys the connection, so the query fails ("Connection terminated", a 503) instead of
 * hanging, and the pool replaces the connection (pg's own query_timeout would leave the connection blocked behind
 * the unanswered query). A transaction that raises its statement_timeout with SET LOCAL (allowLongStatements)
 * raises the deadline with it until the client goes back to the pool.
 *
 * The deadlines are watched by one timer per client, armed when a query is sent and none is armed, and re-armed
 * only while queries are unanswered: a query costs a timestamp, not a timer of its own (a setTimeout and
 * clearTimeout per query, with their closures, were ~3 µs of the ~60 µs of Node CPU a catalog read costs).
 */
function boundedClient(defaultDeadlineMs: number) {
  return class BoundedClient extends pg.Client {
    deadlineMs = defaultDeadlineMs;
    /** performance.now() by which each unanswered query must be answered, in the order sent (pg answers in order). */
    readonly #due: number[] = [];
    #watchdog: NodeJS.Timeout | undefined;

    resetDeadline() {
      this.deadlineMs = defaultDeadlineMs;
    }

    readonly #answered = () => {
      this.#due.shift();
    };

    readonly #check = () => {
      this.#watchdog = undefined;
      let next = Infinity;
      for (const due of this.#due) if (due < next) next = due;
      if (next === Infinity) return;
      const now = performance.now();
      if (now >= next) {
        (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        return;
      }
      this.#watch(next - now);
    };

    #watch(ms: number) {
      // Unreferenced: an unanswered query's socket keeps the process alive, the watchdog alone must not.
      this.#watchdog = setTimeout(this.#check, ms).unref();
    }

    // pg's overloads (promise, callback, submittable) are kept as they are; only the deadline is added. Three
    // explicit parameters, not a rest parameter: V8 never optimized the rest form of this method (it aborted
    // compilation on the spread), and it runs once per statement.
    override query(config: unknown, values?: unknown, callback?: unknown): never {
      const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
      // A SET LOCAL is short; the statements of a request are not (no regular expression for those).
      if (typeof text === 'string' && text.length < 100) {
        const raised = SET_LOCAL_STATEMENT_TIMEOUT.exec(text);
        if (raised) this.deadlineMs = readDeadline(Number(raised[1]));
      }
      const submittable = typeof (config as { submit?: unknown } | null)?.submit === 'function';
      if (submittable || this.deadlineMs <= 0)
        return super.query(config as never, values as never, callback as never) as never;

      this.#due.push(performance.now() + this.deadlineMs);
      if (this.#watchdog === undefined) this.#watch(this.deadlineMs);
      const cb =
        typeof values === 'function' ? values : typeof callback === 'function' ? callback : undefined;
      if (cb) {
        const answered = this.#answered;
        const vals = (typeof values === 'function' ? undefined : values) as unknown[];
        // The callbacks inline, not in a const: tsx names every named function expression (an
        // Object.defineProperty per query, ~1.7 µs).
        if ((config as { types?: unknown } | null)?.types === readTypes) {
          const { name, text: sql } = config as { name: string; text: string };
          const read = new ArrayRead(name, sql, vals, (err: Error | undefined, res?: unknown) => {
            answered();
            (cb as QueryCallback)(err ?? null, res);
          });
          return super.query(read as never);
        }
        return super.query(config as string, vals, (err: Error | null, res?: unknown) => {
          answered();
          (cb as QueryCallback)(err, res);
        }) as never;
      }
      const result = super.query(
        config as never,
        values as never,
        callback as never,
      ) as unknown as Promise<unknown>;
      result.then(this.#answered, this.#answered);
      return result as never;
    }
  };
}

/** What BoundedPool reads of pg-pool's (3.x) internals: its FIFO of waiters, its idle clients, its fullness. */
interface PoolInternals {
  ending: boolean;
  _pendingQueue: Waiter[];
  _idle: unknown[];
  _isFull(): boolean;
  _pulseQueue(): void;
}

type ConnectCallback = (
  err: Error | undefined,
  client?: pg.PoolClient,
  done?: (release?: unknown) => void,
) => void;

/** pg-pool's PendingItem (callback, timedOut) with the time by which a client must be handed over. */
interface Waiter {
  callback: ConnectCallback;
  timedOut?: boolean;
  due: number;
}

/** A connect callback settling a promise (returned, not assigned: tsx would name an assigned function per call). */
function settleWith(resolve: (client: pg.PoolClient) => void, reject: (err: Error) => void): ConnectCallback {
  return (err, client) => (err ? reject(err) : resolve(client!));
}

/**
 * A pool whose wait for a client (every connection in use) is bounded as pg-pool's connectionTimeoutMillis bounds
 * it — the same error, "timeout exceeded when trying to connect" — but watched by one timer per pool instead of a
 * setTimeout and clearTimeout (with their closures) per waiting request: under load nearly every request waits for
 * a connection, and those timers were ~0.6 µs of the ~70 µs a catalog read costs. Waiters are served first come,
 * first served and all wait the same time, so the oldest waiter is always the first to expire: the timer is armed
 * for the head of the queue and, when it fires, fails every waiter whose time is up. Opening a new connection
 * (the pool not full) stays pg-pool's own path, bounded by its connect timer.
 */
class BoundedPool extends pg.Pool {
  readonly #waitMs: number;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(config: pg.PoolConfig & { connectionTimeoutMillis: number }) {
    super(config);
    this.#waitMs = config.connectionTimeoutMillis;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const self = this as unknown as PoolInternals;
    if (self.ending || !(self._isFull() || self._idle.length > 0)) {
      return callback ? super.connect(callback as never) : super.connect();
    }
    let result: Promise<pg.PoolClient> | undefined;
    let cb = callback;
    if (cb === undefined) {
      result = new Promise<pg.PoolClient>((resolve, reject) => {
        cb = settleWith(resolve, reject);
      });
    }
    // As pg-pool does: an idle client is handed to the queue's head on the next tick.
    if (self._idle.length > 0) process.nextTick(() => self._pulseQueue());
    self._pendingQueue.push({ callback: cb!, due: performance.now() + this.#waitMs });
    if (this.#watchdog === undefined) this.#arm(this.#waitMs);
    return result;
  }

  #arm(ms: number) {
    // Unreferenced: a waiting request holds its socket open; the watchdog alone must not keep the process alive.
    this.#watchdog = setTimeout(this.#expire, Math.max(1, ms)).unref();
  }

  readonly #expire = () => {
    this.#watchdog = undefined;
    const queue = (this as unknown as PoolInternals)._pendingQueue;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const waiter = queue.shift()!;
      waiter.timedOut = true;
      waiter.callback(new Error('timeout exceeded when trying to connect'));
    }
    if (queue.length > 0) this.#arm(queue[0]!.due - now);
  };
}

export function createPool(url: string, max: number, limits?: DbLimits): pg.Pool {
  const pool = new BoundedPool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: limits?.connectTimeoutMs ?? 5_000,
    ...(limits && {
      // Sent at connection start-up: every session of this pool has them unless a transaction says otherwise.
      statement_timeout: limits.statementTimeoutMs,
      lock_timeout: limits.lockTimeoutMs,
      Client: boundedClient(readDeadline(limits.statementTimeoutMs)),
    }),
  });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  pool.on('release', (_err, client) => {
    (client as Partial<{ resetDeadline(): void }>).resetDeadline?.();
  });
  return pool;
}

/**
 * For the few use cases that legitimately run long inside one transaction (a restock notifying 100 000 readers):
 * raises this transaction's statement timeout (and the client's read deadline with it). Lock waits stay bounded
 * by lock_timeout.
 */
export async function allowLongStatements(tx: Tx, timeoutMs: number): Promise<void> {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0)
    throw new Error('timeoutMs must be a non-negative integer');
  await tx.execute(sql.raw(`SET LOCAL statement_timeout = ${timeoutMs}`));
}

export function createDb(pool: pg.Pool): Db {
  return drizzle(pool);
}
