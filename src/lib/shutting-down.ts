/** The process-wide "shutting down" flag, apart from the shutdown itself so that any module may read it. */

/**
 * Set as the first step of a process's graceful shutdown. A terminal's Ctrl-C sends SIGINT to the whole
 * foreground process group, so the embedded PostgreSQL stops at the same moment and drops our connections
 * before we close them: while shutting down, such connection-termination errors are expected, not errors.
 */
let shuttingDown = false;

export function markShuttingDown(): void {
  shuttingDown = true;
}

export function isShuttingDown(): boolean {
  return shuttingDown;
}

/** A server-side end of a connection: admin shutdown (57P01..57P03), a reset, or pg's "Connection terminated". */
export function isConnectionTermination(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNRESET' || code === 'EPIPE')
    return true;
  return typeof message === 'string' && /connection terminated/i.test(message);
}
