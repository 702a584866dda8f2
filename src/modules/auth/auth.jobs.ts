import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { deliverEmail } from '../../emails/delivery.js';
import { inBatches, recurringCron } from '../../jobs/maintenance.js';
import { addJob } from '../../jobs/queue.js';
import { renderLinkEmail } from './auth.emails.js';
import {
  deleteDeadRefreshTokens,
  deleteExpiredEmailTokens,
  insertEmailToken,
  type EmailTokenPurpose,
} from './auth.repository.js';
import { findUserByEmail } from '../users/users.accounts.js';

export const REFRESH_TOKEN_PURGE_TASK = 'refresh-token-purge';

/** Every hour; a run missed while no worker was up is not made up for, the next one catches up. */
export const refreshTokenPurgeCron = recurringCron(REFRESH_TOKEN_PURGE_TASK, '17 * * * *');

const BATCH = 1000;

/**
 * Deletes the refresh tokens of every family that has ended (contract §8 item 9: the table no longer grows without
 * bound), in short statements so that no long lock is held. Idempotent. Returns the number of rows deleted.
 */
export async function purgeDeadRefreshTokens(db: Db, now: Date): Promise<number> {
  return inBatches(BATCH, (limit) => deleteDeadRefreshTokens(db, now, limit));
}

export function refreshTokenPurgeTask(deps: Pick<Deps, 'db' | 'clock' | 'log'>): Task {
  return async () => {
    const deleted = await purgeDeadRefreshTokens(deps.db, deps.clock.now());
    if (deleted > 0) deps.log.info({ deleted }, 'purged refresh tokens of ended sessions');
    const links = await purgeExpiredEmailTokens(deps.db, deps.clock.now());
    if (links > 0) deps.log.info({ deleted: links }, 'purged expired e-mail link tokens');
  };
}

export const RATE_LIMIT_PURGE_TASK = 'rate-limit-purge';

/** Every five minutes: no counter outlives its window (at most one hour) by more than that. */
export const rateLimitPurgeCron = recurringCron(RATE_LIMIT_PURGE_TASK, '*/5 * * * *');

/** Deletes every rate-limit counter whose window has ended, in short batches. Returns the number deleted. */
export async function purgeExpiredCounters(deps: Pick<Deps, 'counters'>, now: Date): Promise<number> {
  return inBatches(BATCH, (limit) => deps.counters.purgeExpired(now, limit));
}

export function rateLimitPurgeTask(deps: Pick<Deps, 'counters' | 'clock' | 'log'>): Task {
  return async () => {
    const deleted = await purgeExpiredCounters(deps, deps.clock.now());
    if (deleted > 0) deps.log.debug({ deleted }, 'purged expired rate-limit counters');
  };
}

export const VERIFY_EMAIL_TASK = 'verify-email';
export const PASSWORD_RESET_EMAIL_TASK = 'password-reset-email';
export const VERIFY_EMAIL_VALID_HOURS = 48;
export const PASSWORD_RESET_VALID_HOURS = 1;
const HOUR_MS = 60 * 60 * 1000;

/** Only the SHA-256 of a link token is stored (hex), so a leaked table opens no account. */
export const hashLinkToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Enqueues the e-mail with a verification link for this address, inside the caller's transaction (registration,
 * resend). The job is keyed by a fresh cause, `verify-email:<uuid>`, so each request sends at most one message.
 */
export async function enqueueVerificationEmail(tx: DbOrTx, email: string): Promise<void> {
  const cause = `verify-email:${randomUUID()}`;
  await addJob(tx, VERIFY_EMAIL_TASK, { email, cause }, { jobKey: cause });
}

/** Enqueues the e-mail with a password-reset link for this address (`password-reset:<uuid>`). */
export async function enqueuePasswordResetEmail(tx: DbOrTx, email: string): Promise<void> {
  const cause = `password-reset:${randomUUID()}`;
  await addJob(tx, PASSWORD_RESET_EMAIL_TASK, { email, cause }, { jobKey: cause });
}

const linkPayload = z.object({ email: z.string(), cause: z.string() });

/**
 * The link's token is made by the job, when the e-mail is composed: it is never stored in clear, not even in the
 * job's payload, and a job whose e-mail was already delivered makes none. A retry after a failed send makes a new
 * one (the earlier token then expires unused).
 */
function linkEmailTask(
  deps: Pick<Deps, 'db' | 'mailer' | 'log' | 'clock' | 'config'>,
  purpose: EmailTokenPurpose,
): Task {
  const validHours = purpose === 'verify_email' ? VERIFY_EMAIL_VALID_HOURS : PASSWORD_RESET_VALID_HOURS;
  return async (payload, helpers) => {
    const { email, cause } = linkPayload.parse(payload);
    await deliverEmail(
      deps,
      cause,
      async () => {
        const user = await findUserByEmail(deps.db, email);
        // No account (a request for an unknown address answers the same), a deactivated one, or nothing to verify.
        if (!user?.isActive) return null;
        if (purpose === 'verify_email' && user.emailVerifiedAt !== null) return null;
        const now = deps.clock.now();
        const token = randomBytes(32).toString('base64url');
        await insertEmailToken(deps.db, {
          userId: user.id,
          purpose,
          tokenHash: hashLinkToken(token),
          expiresAt: new Date(now.getTime() + validHours * HOUR_MS),
        });
        return renderLinkEmail(deps.config, purpose, deps.mailer.domain, now, {
          to: user.email,
          token,
          cause,
          validHours,
        });
      },
      helpers,
    );
  };
}

export const verifyEmailTask = (deps: Pick<Deps, 'db' | 'mailer' | 'log' | 'clock' | 'config'>) =>
  linkEmailTask(deps, 'verify_email');
export const passwordResetEmailTask = (deps: Pick<Deps, 'db' | 'mailer' | 'log' | 'clock' | 'config'>) =>
  linkEmailTask(deps, 'password_reset');

/** Link tokens are kept a day past their expiry (for support questions), then deleted by the hourly purge. */
export async function purgeExpiredEmailTokens(db: Db, now: Date): Promise<number> {
  const before = new Date(now.getTime() - 24 * HOUR_MS);
  return inBatches(BATCH, (limit) => deleteExpiredEmailTokens(db, before, limit));
}
