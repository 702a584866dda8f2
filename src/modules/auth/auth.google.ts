import type { Deps } from '../../deps.js';
import type { Tx } from '../../db/client.js';
import type { UserRow } from '../users/users.table.js';
import { normalizeEmail } from './auth.email.js';
import {
  createOidcClient,
  OidcInvalidTokenError,
  OidcProviderError,
  OidcUnavailableError,
  type IdTokenClaims,
} from './auth.oidc.js';
import {
  codeChallenge,
  createStateCookies,
  newOAuthState,
  STATE_MAX_AGE_SECONDS,
} from './auth.oauth-state.js';
import * as accounts from '../users/users.accounts.js';
import * as repo from './auth.repository.js';
import type { AuthService } from './auth.service.js';
import type { TokenResponse } from './auth.schemas.js';
import {
  googleTokenInvalid,
  OAUTH_STATE_MISMATCH,
  oauthEmailUnverified,
  oauthFailed,
  oauthNoEmail,
  oauthNotConfigured,
  oauthUnavailable,
  userInactive,
} from './auth.errors.js';

const PROVIDER = 'google';

/** Google sign-in (contract §2.8 with §7.16): the redirect flow and the ID-token exchange. */
export function createGoogleSignIn(deps: Deps, auth: AuthService) {
  const { config, clock, db, log } = deps;
  const configured = config.GOOGLE_CLIENT_ID !== undefined;
  const oidc = createOidcClient(config);
  const cookies = createStateCookies(config.SECRET_KEY, config.PUBLIC_BASE_URL.startsWith('https:'));

  function assertConfigured() {
    if (!configured) throw oauthNotConfigured();
  }

  function providerDown(err: unknown): never {
    if (err instanceof OidcUnavailableError) {
      log.warn({ err }, 'OpenID Connect provider unavailable');
      throw oauthUnavailable();
    }
    throw err;
  }

  /** The URL to send the browser to, and the cookie that remembers what we asked for. */
  async function begin(): Promise<{ location: string; cookie: string }> {
    assertConfigured();
    const state = newOAuthState();
    const location = await oidc
      .authorizationUrl({
        state: state.state,
        nonce: state.nonce,
        codeChallenge: codeChallenge(state.verifier),
      })
      .catch(providerDown);
    return { location, cookie: cookies.serialize(state, clock.now()) };
  }

  async function callback(
    query: { code?: string; state?: string; error?: string; error_description?: string },
    cookieHeader: string | undefined,
  ): Promise<TokenResponse> {
    assertConfigured();
    if (query.error !== undefined) throw oauthFailed(query.error_description ?? 'None');
    const now = clock.now();
    const saved = cookies.parse(cookieHeader, now);
    if (!saved || query.state === undefined || query.state !== saved.state)
      throw oauthFailed(OAUTH_STATE_MISMATCH);
    // Single use: the first callback with a state consumes it (in the shared counters table, for the state's
    // lifetime, then purged), so a replayed cookie and state are refused on every API process.
    const stateKey = `oauth-state:${saved.state}`;
    const uses = await deps.counters.hit([stateKey], STATE_MAX_AGE_SECONDS * 1000, now);
    if ((uses.get(stateKey)?.count ?? Infinity) > 1) throw oauthFailed(OAUTH_STATE_MISMATCH);
    if (!query.code) throw oauthFailed('missing authorization code');

    let claims: IdTokenClaims;
    try {
      const idToken = await oidc.exchangeCode(query.code, saved.verifier);
      claims = await oidc.verifyIdToken(idToken, saved.nonce);
    } catch (err) {
      if (err instanceof OidcProviderError) throw oauthFailed(err.description);
      if (err instanceof OidcInvalidTokenError) throw oauthFailed('invalid ID token');
      return providerDown(err);
    }
    return signIn(claims);
  }

  async function exchangeIdToken(idToken: string): Promise<TokenResponse> {
    assertConfigured();
    let claims: IdTokenClaims;
    try {
      claims = await oidc.verifyIdToken(idToken);
    } catch (err) {
      if (err instanceof OidcInvalidTokenError) throw googleTokenInvalid();
      return providerDown(err);
    }
    return signIn(claims);
  }

  async function signIn(claims: IdTokenClaims): Promise<TokenResponse> {
    const email = typeof claims.email === 'string' ? normalizeEmail(claims.email) : undefined;
    if (!email?.ok) throw oauthNoEmail();
    if (claims.email_verified !== true && claims.email_verified !== 'true') throw oauthEmailUnverified();
    const now = clock.now();
    const user = await db.transaction((tx) => linkedUser(tx, claims.sub, email.email, now));
    return auth.startSession(user.id, userInactive);
  }

  /**
   * The linking rule: the account already linked to this Google identity; else the account with this
   * e-mail (any case) gets linked; else a new password-less account. Concurrent sign-ins of one identity
   * meet on uq_oauth_provider_account and ix_users_email and then read the winner's rows.
   *
   * Google has verified the address, so linking marks it verified. A password account whose address was never
   * verified may have been registered by someone else with the victim's address (pre-account takeover): when
   * such an account is linked, its password is removed and all its sessions end, so that only the owner of the
   * address (now signing in with Google) keeps access; they can set a password again with a reset link.
   */
  async function linkedUser(tx: Tx, sub: string, email: string, now: Date): Promise<UserRow> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const linkedId = await accounts.findOAuthUserId(tx, PROVIDER, sub);
      if (linkedId !== undefined) {
        const linked = await accounts.findUserById(tx, linkedId);
        if (linked) return linked;
      }
      const found =
        (await accounts.findUserByEmail(tx, email)) ??
        (await accounts.insertUser(tx, { email, hashedPassword: null, emailVerifiedAt: now })) ??
        (await accounts.findUserByEmail(tx, email));
      if (!found) continue;
      // The user row first (the lock order of every session change), then the link and the credential.
      const user = await accounts.lockUser(tx, found.id, 'no key update');
      if (!user) continue;
      if (!(await accounts.insertOAuthAccount(tx, { userId: user.id, provider: PROVIDER, accountId: sub })))
        continue;
      if (user.emailVerifiedAt === null) {
        if (user.hashedPassword !== null) {
          await accounts.setPasswordHash(tx, user.id, null);
          const revoked = await repo.revokeUserRefreshTokens(tx, user.id, now);
          log.warn(
            { userId: user.id, revokedSessions: revoked },
            'Google sign-in linked an account whose address was never verified: its password was removed',
          );
        }
        await accounts.markEmailVerified(tx, user.id, now);
      }
      return user;
    }
    throw new Error(`could not link Google account ${sub}`);
  }

  return { configured, assertConfigured, begin, callback, exchangeIdToken, clearStateCookie: cookies.clear };
}
