import { loginThrottled } from './auth.errors.js';
import type { CounterStore } from './auth.rate-limit.js';

export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/** Who is trying: the client address (already reduced by clientKey), and the device id of a valid device cookie. */
export interface LoginClient {
  address: string;
  /** Set only when the request carries a device cookie that is valid for this very account. */
  deviceId?: string;
}

export interface LoginThrottleLimits {
  /** Failures per (account, device) and per (account, untrusted client address) within 15 minutes. */
  maxFailures: number;
  /** Failures per account from all untrusted clients together within 15 minutes. */
  maxFailuresPerAccount: number;
}

/**
 * Slows password guessing without letting anyone lock the owner out (OWASP "Slow down online guessing attacks
 * with device cookies"):
 * - a client holding a valid device cookie of the account (issued by an earlier successful login) is throttled
 *   on its own counter, (account, device); only failures made with that very cookie count against it, so no one
 *   else can lock it;
 * - every other client is untrusted: throttled per (account, client address), and all untrusted clients of one
 *   account together per account (a distributed guess from many addresses).
 * The account is the lower-cased e-mail, whether or not such an account exists (no enumeration). Counters live in
 * the shared CounterStore, so every API process sees the same failures.
 */
export function createLoginThrottle(counters: CounterStore, limits: LoginThrottleLimits) {
  function keysFor(email: string, client: LoginClient): { key: string; max: number }[] {
    const account = email.toLowerCase();
    if (client.deviceId !== undefined)
      return [{ key: `login-fail:device:${account}:${client.deviceId}`, max: limits.maxFailures }];
    return [
      { key: `login-fail:client:${account}:${client.address}`, max: limits.maxFailures },
      { key: `login-fail:account:${account}`, max: limits.maxFailuresPerAccount },
    ];
  }

  return {
    /** Throws 429 RATE_LIMITED while this client is locked out of this account. */
    async check(email: string, client: LoginClient, now: Date): Promise<void> {
      const keys = keysFor(email, client);
      const live = await counters.peek(
        keys.map((k) => k.key),
        now,
      );
      let resetAt = 0;
      for (const { key, max } of keys) {
        const counter = live.get(key);
        if (counter && counter.count >= max) resetAt = Math.max(resetAt, counter.resetAt);
      }
      if (resetAt === 0) return;
      const seconds = Math.max(1, Math.ceil((resetAt - now.getTime()) / 1000));
      throw loginThrottled(seconds);
    },

    async recordFailure(email: string, client: LoginClient, now: Date): Promise<void> {
      await counters.hit(
        keysFor(email, client).map((k) => k.key),
        LOGIN_FAILURE_WINDOW_MS,
        now,
      );
    },

    /** A success clears this client's own counter (never the account-wide one, which others may be filling). */
    async recordSuccess(email: string, client: LoginClient): Promise<void> {
      await counters.reset([keysFor(email, client)[0]!.key]);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
