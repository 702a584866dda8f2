import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../../config.js';

/**
 * A small OpenID Connect relying party for Google sign-in (or any issuer named by GOOGLE_ISSUER):
 * discovery, the authorization URL, the code exchange and ID-token verification against the issuer's keys.
 * Everything is asynchronous (fetch, WebCrypto), so no request ever blocks the event loop.
 */

const HTTP_TIMEOUT_MS = 5000;

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
}

/** The provider could not be reached or answered nonsense: not the user's fault. */
export class OidcUnavailableError extends Error {}
/** The provider refused (e.g. an invalid or reused code): `description` is its explanation. */
export class OidcProviderError extends Error {
  constructor(public readonly description: string) {
    super(description);
  }
}
/** An ID token that failed verification (signature, issuer, audience, expiry, nonce, …). */
export class OidcInvalidTokenError extends Error {}

export interface IdTokenClaims extends JWTPayload {
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  nonce?: unknown;
}

async function fetchJson(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (err) {
    throw new OidcUnavailableError(`cannot reach ${url}: ${(err as Error).message}`);
  }
  try {
    return { status: res.status, body: await res.json() };
  } catch {
    throw new OidcUnavailableError(`${url} did not answer JSON (status ${res.status})`);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function createOidcClient(
  config: Pick<Config, 'GOOGLE_ISSUER' | 'GOOGLE_CLIENT_ID' | 'GOOGLE_CLIENT_SECRET' | 'PUBLIC_BASE_URL'>,
) {
  const clientId = config.GOOGLE_CLIENT_ID ?? '';
  const redirectUri = `${config.PUBLIC_BASE_URL}/auth/google/callback`;
  let provider: Promise<{ discovery: Discovery; jwks: ReturnType<typeof createRemoteJWKSet> }> | undefined;

  async function discover() {
    const url = `${config.GOOGLE_ISSUER}/.well-known/openid-configuration`;
    const { status, body } = await fetchJson(url);
    if (
      status !== 200 ||
      !isRecord(body) ||
      typeof body.issuer !== 'string' ||
      typeof body.authorization_endpoint !== 'string' ||
      typeof body.token_endpoint !== 'string' ||
      typeof body.jwks_uri !== 'string'
    ) {
      throw new OidcUnavailableError(`${url} is not an OpenID Connect discovery document (status ${status})`);
    }
    const discovery = body as unknown as Discovery;
    return {
      discovery,
      jwks: createRemoteJWKSet(new URL(discovery.jwks_uri), { timeoutDuration: HTTP_TIMEOUT_MS }),
    };
  }

  /** The discovery document is fetched once and kept; a failed fetch is retried on the next request. */
  function getProvider() {
    provider ??= discover().catch((err: unknown) => {
      provider = undefined;
      throw err;
    });
    return provider;
  }

  async function authorizationUrl(params: { state: string; nonce: string; codeChallenge: string }) {
    const { discovery } = await getProvider();
    const url = new URL(discovery.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('scope', 'openid email profile');
    url.searchParams.set('state', params.state);
    url.searchParams.set('nonce', params.nonce);
    url.searchParams.set('code_challenge', params.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  /** Exchanges an authorization code for the ID token (client_secret_post, with the PKCE verifier). */
  async function exchangeCode(code: string, codeVerifier: string): Promise<string> {
    const { discovery } = await getProvider();
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: codeVerifier,
    });
    if (config.GOOGLE_CLIENT_SECRET) form.set('client_secret', config.GOOGLE_CLIENT_SECRET);
    const { status, body } = await fetchJson(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
    });
    if (!isRecord(body)) throw new OidcUnavailableError('the token endpoint answered no JSON object');
    if (status !== 200 || typeof body.error === 'string') {
      const description =
        typeof body.error_description === 'string'
          ? body.error_description
          : typeof body.error === 'string'
            ? body.error
            : `token endpoint answered ${status}`;
      throw new OidcProviderError(description);
    }
    if (typeof body.id_token !== 'string') throw new OidcProviderError('no id_token in the token response');
    return body.id_token;
  }

  /** Verifies signature (issuer's JWKS), iss, aud = GOOGLE_CLIENT_ID, exp/nbf/iat, and the nonce when given. */
  async function verifyIdToken(idToken: string, expectedNonce?: string): Promise<IdTokenClaims> {
    const { discovery, jwks } = await getProvider();
    // Google's own tokens may carry the issuer without the scheme.
    const issuers = [discovery.issuer];
    if (discovery.issuer === 'https://accounts.google.com') issuers.push('accounts.google.com');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        issuer: issuers,
        audience: clientId,
        algorithms: discovery.id_token_signing_alg_values_supported?.filter((a) => a !== 'none') ?? ['RS256'],
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (err) {
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        throw new OidcUnavailableError(`cannot verify the ID token: ${(err as Error).message}`);
      }
      throw new OidcInvalidTokenError(err.message);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new OidcInvalidTokenError('no subject');
    if (expectedNonce !== undefined && payload.nonce !== expectedNonce)
      throw new OidcInvalidTokenError('nonce mismatch');
    return payload as IdTokenClaims;
  }

  return { authorizationUrl, exchangeCode, verifyIdToken };
}

export type OidcClient = ReturnType<typeof createOidcClient>;
