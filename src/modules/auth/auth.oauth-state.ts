import { createHash, randomBytes } from 'node:crypto';
import { createSignedValues } from '../../http/signed-value.js';

/**
 * The redirect flow's state, nonce and PKCE verifier, kept between GET /auth/google and its callback in a
 * signed HttpOnly cookie named `session` (as the reference's session middleware did). The callback records the
 * state as used (auth.google.ts), so that a cookie and state can be presented once only.
 */

export const STATE_COOKIE = 'session';
export const STATE_MAX_AGE_SECONDS = 600;

export interface OAuthState {
  state: string;
  nonce: string;
  verifier: string;
}

const random = () => randomBytes(32).toString('base64url');

export function newOAuthState(): OAuthState {
  return { state: random(), nonce: random(), verifier: random() };
}

export const codeChallenge = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export function createStateCookies(secret: string, secure: boolean) {
  const sealed = createSignedValues(secret, 'oauth-state');
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

  function serialize(value: OAuthState, now: Date): string {
    const expires = Math.floor(now.getTime() / 1000) + STATE_MAX_AGE_SECONDS;
    return `${STATE_COOKIE}=${sealed.seal({ ...value, exp: expires })}; Max-Age=${STATE_MAX_AGE_SECONDS}; ${attributes}`;
  }

  const clear = () => `${STATE_COOKIE}=; Max-Age=0; ${attributes}`;

  /** The state from the request's Cookie header, when present, authentic and not expired. */
  function parse(cookieHeader: string | undefined, now: Date): OAuthState | undefined {
    if (!cookieHeader) return undefined;
    const raw = cookieHeader
      .split(';')
      .map((part) => part.trim())
      .find((part) => part.startsWith(`${STATE_COOKIE}=`))
      ?.slice(STATE_COOKIE.length + 1);
    if (!raw) return undefined;
    const value = sealed.open(raw) as (Partial<OAuthState> & { exp?: unknown }) | null | undefined;
    if (typeof value !== 'object' || value === null) return undefined;
    if (typeof value.exp !== 'number' || value.exp * 1000 < now.getTime()) return undefined;
    if (
      typeof value.state !== 'string' ||
      typeof value.nonce !== 'string' ||
      typeof value.verifier !== 'string'
    )
      return undefined;
    return { state: value.state, nonce: value.nonce, verifier: value.verifier };
  }

  return { serialize, clear, parse };
}
