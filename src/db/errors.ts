/** Drizzle wraps driver errors; the PostgreSQL error is the cause (or the error itself for raw pg calls). */
interface PgError {
  code?: string;
  constraint?: string;
}

function pgError(err: unknown): PgError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as PgError & { cause?: unknown };
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e;
  if (e.cause !== undefined) return pgError(e.cause);
  return undefined;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = pgError(err);
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

export function isForeignKeyViolation(err: unknown, constraint?: string): boolean {
  const e = pgError(err);
  return e?.code === '23503' && (constraint === undefined || e.constraint === constraint);
}

// admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down, recovery, not accepting
// connections), too_many_connections; and the whole class 08 (connection exceptions).
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const isConnectionException = (code: string) => /^08[0-9A-Z]{3}$/.test(code);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** True when the database cannot be reached (as opposed to a query that failed). */
export function isDatabaseUnavailable(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && typeof cur === 'object' && cur !== null; depth++) {
    const e = cur as { code?: string; message?: string; cause?: unknown; errors?: unknown[] };
    if (
      e.code &&
      (UNAVAILABLE_CODES.has(e.code) || isConnectionException(e.code) || NETWORK_CODES.has(e.code))
    )
      return true;
    if (
      typeof e.message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
        e.message,
      )
    )
      return true;
    if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x))) return true;
    cur = e.cause;
  }
  return false;
}

/**
 * True when the database gave up on the statement because of our own bounds: statement_timeout or a cancel
 * (57014), lock_timeout (55P03). Like an outage, it is worth retrying shortly: a 503, not a 500.
 */
export function isDatabaseTimeout(err: unknown): boolean {
  const code = pgError(err)?.code;
  return code === '57014' || code === '55P03';
}
