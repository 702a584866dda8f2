import { AppError } from '../../http/errors.js';

const WINDOW_MS = 15 * 60 * 1000;
const MAX_TRACKED = 100_000;

/**
 * Slows password guessing: after `maxFailures` failed logins for one e-mail from one client address within 15
 * minutes, further attempts for that pair answer 429 until the window ends. Successful logins do not count, so a
 * user (or a test suite) logging in often is never throttled. Kept in process memory: with several API processes
 * each applies its own limit.
 */
export function createLoginThrottle(maxFailures: number, now: () => number = Date.now) {
  const failures = new Map<string, { count: number; resetAt: number }>();

  function prune(t: number) {
    for (const [key, entry] of failures) if (entry.resetAt <= t) failures.delete(key);
  }

  return {
    /** Throws 429 RATE_LIMITED while the pair is locked out. */
    check(key: string): void {
      const entry = failures.get(key);
      const t = now();
      if (!entry || entry.resetAt <= t || entry.count < maxFailures) return;
      const seconds = Math.ceil((entry.resetAt - t) / 1000);
      throw new AppError(
        429,
        `Too many failed login attempts, retry in ${seconds} seconds`,
        'RATE_LIMITED',
        undefined,
        undefined,
        { 'Retry-After': String(seconds) },
      );
    },
    recordFailure(key: string): void {
      const t = now();
      const entry = failures.get(key);
      if (!entry || entry.resetAt <= t) {
        if (failures.size >= MAX_TRACKED) prune(t);
        failures.set(key, { count: 1, resetAt: t + WINDOW_MS });
      } else {
        entry.count += 1;
      }
    },
    reset(key: string): void {
      failures.delete(key);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
