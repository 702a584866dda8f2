import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Deps } from '../../deps.js';
import type { Db, Tx } from '../../db/client.js';
import type { AppError } from '../../http/errors.js';
import { DEACTIVATED } from '../../http/auth.js';
import type { UserRow } from '../users/users.table.js';
import { createDeviceCookies } from './auth.device-cookie.js';
import type { LoginClient, LoginThrottle } from './auth.login-throttle.js';
import { createDummyVerifier, hashPassword, needsRehash, verifyPassword } from './auth.passwords.js';
import { enqueuePasswordResetEmail, enqueueVerificationEmail, hashLinkToken } from './auth.jobs.js';
import * as accounts from '../users/users.accounts.js';
import * as repo from './auth.repository.js';
import type { TokenResponse } from './auth.schemas.js';
import {
  emailConflict,
  invalidCredentials,
  oauthOnlyAccount,
  refreshInvalid,
  resetTokenInvalid,
  tokenReuse,
  userInactive,
  verifyTokenInvalid,
} from './auth.errors.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** However often it is refreshed, a session (token family) ends this long after its login. */
export const FAMILY_LIFETIME_DAYS = 30;

/** Account e-mails (verification, reset) sent to one address per hour at most, whoever asks. */
export const ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR = 3;

/** Only the SHA-256 of a refresh token is stored, so a leaked table grants no session. */
export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Ends every session of the user at once, inside the caller's transaction (deactivation): every refresh token is
 * revoked, so a refresh answers AUTH_TOKEN_REUSE. Returns how many were still live.
 */
export function endAllSessions(tx: Tx, userId: number, at: Date): Promise<number> {
  return repo.revokeUserRefreshTokens(tx, userId, at);
}

export function createAuthService(deps: Deps, { throttle }: { throttle: LoginThrottle }) {
  const { db, clock, tokens, config, log } = deps;
  const verifyAgainstDummy = createDummyVerifier();
  const devices = createDeviceCookies(config.SECRET_KEY, config.PUBLIC_BASE_URL.startsWith('https:'));

  function tokenExpiry(now: Date, familyExpiresAt: Date): Date {
    const sliding = new Date(now.getTime() + config.REFRESH_TOKEN_EXPIRE_DAYS * DAY_MS);
    return sliding < familyExpiresAt ? sliding : familyExpiresAt;
  }

  async function storeRefreshToken(
    tx: Tx,
    userId: number,
    family: string,
    familyExpiresAt: Date,
    now: Date,
  ): Promise<string> {
    const token = randomBytes(64).toString('base64url');
    await repo.insertRefreshToken(tx, {
      tokenHash: hashRefreshToken(token),
      family,
      userId,
      expiresAt: tokenExpiry(now, familyExpiresAt),
      familyExpiresAt,
    });
    return token;
  }

  async function tokenPair(user: Pick<UserRow, 'id' | 'role'>, refreshToken: string): Promise<TokenResponse> {
    return {
      access_token: await tokens.sign(user.id, user.role),
      refresh_token: refreshToken,
      token_type: 'bearer',
    };
  }

  /**
   * A new session (token family) for a user who just proved who they are. The account is re-checked under the
   * user lock, so that a session created during a deactivation cannot survive it; `inactive` is the endpoint's
   * error for an inactive account.
   */
  async function startSession(userId: number, inactive: () => AppError): Promise<TokenResponse> {
    const now = clock.now();
    const familyExpiresAt = new Date(now.getTime() + FAMILY_LIFETIME_DAYS * DAY_MS);
    const session = await db.transaction(async (tx) => {
      const user = await accounts.lockUser(tx, userId, 'share');
      if (!user?.isActive) return undefined;
      const token = await storeRefreshToken(tx, user.id, randomUUID(), familyExpiresAt, now);
      return { user, token };
    });
    if (!session) throw inactive();
    return tokenPair(session.user, session.token);
  }

  /** Converges every account on the current hash cost; a failure leaves the old (still valid) hash. */
  async function upgradeHash(userId: number, current: string, password: string): Promise<void> {
    try {
      await accounts.replacePasswordHash(db, userId, current, await hashPassword(password));
    } catch (err) {
      log.warn({ err, userId }, 'could not rehash a password with the current parameters');
    }
  }

  /** The account and its verification e-mail commit together (the e-mail is a job of the same transaction). */
  async function register(email: string, password: string): Promise<TokenResponse> {
    if (await accounts.findUserByEmail(db, email)) throw emailConflict();
    const hashedPassword = await hashPassword(password);
    const user = await db.transaction(async (tx) => {
      const inserted = await accounts.insertUser(tx, { email, hashedPassword });
      if (inserted) await enqueueVerificationEmail(tx, inserted.email);
      return inserted;
    });
    // Lost a race with a concurrent registration of the same address (ix_users_email).
    if (!user) throw emailConflict();
    return startSession(user.id, DEACTIVATED);
  }

  /**
   * Account e-mails requested by address answer the same whether or not an account exists, and take the same
   * path: the job is enqueued in every case and looks the account up when it runs. At most
   * ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR such e-mails are enqueued per address and hour (no mail bombing);
   * requests beyond are dropped silently.
   */
  async function requestAccountEmail(
    kind: 'verify-email' | 'password-reset',
    email: string,
    enqueue: (tx: Tx, email: string) => Promise<void>,
  ): Promise<void> {
    const key = `account-email:${kind}:${email.toLowerCase()}`;
    const counters = await deps.counters.hit([key], 60 * 60 * 1000, clock.now());
    if ((counters.get(key)?.count ?? Infinity) > ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR) return;
    await db.transaction((tx) => enqueue(tx, email));
  }

  const resendVerification = (email: string) =>
    requestAccountEmail('verify-email', email, enqueueVerificationEmail);
  const requestPasswordReset = (email: string) =>
    requestAccountEmail('password-reset', email, enqueuePasswordResetEmail);

  /** Consumes a verification link: the address is verified; the token cannot be used again. */
  async function verifyEmail(token: string): Promise<void> {
    const now = clock.now();
    const found = await repo.findLiveEmailToken(db, 'verify_email', hashLinkToken(token), now);
    if (!found) throw verifyTokenInvalid();
    const ok = await db.transaction(async (tx) => {
      await accounts.lockUser(tx, found.userId, 'no key update');
      if (!(await repo.consumeEmailToken(tx, found.id, now))) return false;
      await accounts.markEmailVerified(tx, found.userId, now);
      return true;
    });
    if (!ok) throw verifyTokenInvalid();
  }

  /**
   * Consumes a reset link: the new password replaces the old one (or is the first one, for a Google-only
   * account), the address counts as verified (the link reached its mailbox), every other reset link of the
   * account ends, and so does every session (all refresh tokens revoked).
   */
  async function resetPassword(token: string, password: string): Promise<void> {
    const tokenHash = hashLinkToken(token);
    // Checked before hashing, so that bad tokens cost no Argon2 work.
    if (!(await repo.findLiveEmailToken(db, 'password_reset', tokenHash, clock.now())))
      throw resetTokenInvalid();
    const hashedPassword = await hashPassword(password);
    const now = clock.now();
    const ok = await db.transaction(async (tx) => {
      const found = await repo.findLiveEmailToken(tx, 'password_reset', tokenHash, now);
      if (!found) return false;
      await accounts.lockUser(tx, found.userId, 'no key update');
      if (!(await repo.consumeEmailToken(tx, found.id, now))) return false;
      await accounts.setPasswordHash(tx, found.userId, hashedPassword);
      await accounts.markEmailVerified(tx, found.userId, now);
      await repo.consumeUserEmailTokens(tx, found.userId, 'password_reset', now);
      await repo.revokeUserRefreshTokens(tx, found.userId, now);
      return true;
    });
    if (!ok) throw resetTokenInvalid();
  }

  /**
   * Password login behind the failed-login throttle (auth.login-throttle.ts). `client.cookie` is the request's
   * Cookie header: a device cookie valid for this account makes the client trusted. A success answers a fresh
   * device cookie (Set-Cookie) besides the tokens.
   */
  async function login(
    email: string,
    password: string,
    client: { address: string; cookie?: string | undefined },
  ): Promise<{ tokens: TokenResponse; deviceCookie: string }> {
    const now = clock.now();
    const user = await accounts.findUserByEmail(db, email);
    const device = user ? devices.parse(client.cookie, now) : undefined;
    const who: LoginClient =
      device && device.userId === user?.id
        ? { address: client.address, deviceId: device.deviceId }
        : { address: client.address };
    await throttle.check(email, who, now);
    const failed = async () => {
      await throttle.recordFailure(email, who, now);
      return invalidCredentials();
    };
    if (!user) {
      await verifyAgainstDummy(password);
      throw await failed();
    }
    if (user.hashedPassword === null) {
      throw oauthOnlyAccount();
    }
    if (!(await verifyPassword(user.hashedPassword, password))) throw await failed();
    if (!user.isActive) throw DEACTIVATED();
    const tokens = await startSession(user.id, DEACTIVATED);
    await throttle.recordSuccess(email, who);
    if (needsRehash(user.hashedPassword)) await upgradeHash(user.id, user.hashedPassword, password);
    return { tokens, deviceCookie: devices.serialize(user.id, now) };
  }

  /**
   * Rotation within the family (contract §2.2 with §7.1). Every revocation is committed before the
   * error is answered, so that reuse detection and the inactive-user path really end the session.
   */
  async function refresh(presented: string): Promise<TokenResponse> {
    const now = clock.now();
    const tokenHash = hashRefreshToken(presented);
    const found = await repo.findRefreshToken(db, tokenHash);
    if (!found || found.expiresAt < now || found.familyExpiresAt < now) throw refreshInvalid();
    const outcome = await db.transaction(async (tx) => {
      // Stronger than the SHARE lock of a login: the rotations of one user run one after the other, so that a
      // reuse detection also revokes the token that a concurrent rotation of the family has just issued.
      const user = await accounts.lockUser(tx, found.userId, 'no key update');
      const row = await repo.findRefreshToken(tx, tokenHash);
      if (!row) return { error: refreshInvalid() };
      // A revoked token presented again (or a concurrent rotation of the same token) means it leaked.
      if (row.revokedAt !== null || !(await repo.revokeToken(tx, row.id, now))) {
        await repo.revokeFamily(tx, row.tokenFamily, now);
        return { error: tokenReuse() };
      }
      if (!user?.isActive) return { error: userInactive() };
      const token = await storeRefreshToken(tx, user.id, row.tokenFamily, row.familyExpiresAt, now);
      return { user, token };
    });
    if ('error' in outcome) throw outcome.error;
    return tokenPair(outcome.user, outcome.token);
  }

  /**
   * Revokes the presented token. A token that was already revoked (rotated by a refresh, or revoked before) is
   * treated as reuse, as refresh does: whoever presents it may hold a copy of a leaked token, so the whole family
   * ends. Same lock order as refresh (user first), so that a rotation running at the same time cannot leave a
   * live token behind. Always silent (204), whatever the token.
   */
  async function logout(presented: string): Promise<void> {
    const now = clock.now();
    const tokenHash = hashRefreshToken(presented);
    const found = await repo.findRefreshToken(db, tokenHash);
    if (!found) return;
    await db.transaction(async (tx) => {
      await accounts.lockUser(tx, found.userId, 'no key update');
      const row = await repo.findRefreshToken(tx, tokenHash);
      if (!row) return;
      if (row.revokedAt !== null || !(await repo.revokeToken(tx, row.id, now)))
        await repo.revokeFamily(tx, row.tokenFamily, now);
    });
  }

  return {
    register,
    login,
    refresh,
    logout,
    startSession,
    resendVerification,
    requestPasswordReset,
    verifyEmail,
    resetPassword,
  };
}

export type AdminOutcome = { outcome: 'created' | 'promoted' | 'unchanged'; user: UserRow };

/**
 * `npm run admin:create`: promotes an existing account (matched regardless of case, password unchanged),
 * or creates an admin account when none exists; the password is asked for only in that case.
 */
export async function ensureAdmin(
  db: Db,
  email: string,
  password: () => Promise<string>,
): Promise<AdminOutcome> {
  const existing = await accounts.findUserByEmail(db, email);
  if (existing) return promote(db, existing);
  const hashedPassword = await hashPassword(await password());
  const created = await accounts.insertUser(db, { email, hashedPassword, role: 'admin' });
  if (created) return { outcome: 'created', user: created };
  // Registered meanwhile: promote that account instead.
  const raced = await accounts.findUserByEmail(db, email);
  if (!raced) throw new Error('the account vanished while it was being created');
  return promote(db, raced);
}

async function promote(db: Db, user: UserRow): Promise<AdminOutcome> {
  if (user.role === 'admin') return { outcome: 'unchanged', user };
  await accounts.setUserRole(db, user.id, 'admin');
  return { outcome: 'promoted', user: { ...user, role: 'admin' } };
}

export type AuthService = ReturnType<typeof createAuthService>;
