import { sql } from 'drizzle-orm';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createUser,
  PASSWORD,
  startTestApp,
  uniqueEmail,
  waitForLockWaiter,
  type TestContext,
} from '../../../test/helpers.js';

const CLIENT_ID = 'bookstore-test-client';
const PUBLIC_BASE_URL = 'http://127.0.0.1:8000';

interface Identity {
  sub: string;
  email?: string;
  email_verified?: unknown;
}

let oidc: OAuth2Server;
let issuer: string;
let t: TestContext;
/** What the provider puts into the next ID tokens it issues from the code flow. */
let identity: Identity;

beforeAll(async () => {
  oidc = new OAuth2Server();
  await oidc.issuer.keys.generate('RS256');
  await oidc.start(0, '127.0.0.1');
  issuer = oidc.issuer.url!;
  oidc.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    if (token.payload.aud === CLIENT_ID) {
      delete token.payload.email;
      delete token.payload.email_verified;
      Object.assign(token.payload, identity);
    }
  });
  t = await startTestApp({
    env: {
      GOOGLE_CLIENT_ID: CLIENT_ID,
      GOOGLE_CLIENT_SECRET: 'test-client-secret',
      GOOGLE_ISSUER: issuer,
      PUBLIC_BASE_URL,
    },
  });
});
afterAll(async () => {
  await t.close();
  await oidc.stop();
});

let counter = 0;
const newIdentity = (overrides: Partial<Identity> = {}): Identity => ({
  sub: `google-${Date.now()}-${++counter}`,
  email: uniqueEmail('google'),
  email_verified: true,
  ...overrides,
});
beforeEach(() => {
  identity = newIdentity();
});

interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
}

/** GET /auth/google, then the provider's authorization endpoint: the code and state it sends back. */
async function authorize(): Promise<{ cookie: string; code: string; state: string; location: URL }> {
  const start = await t.app.inject({ method: 'GET', url: '/auth/google' });
  expect(start.statusCode).toBe(302);
  const setCookie = String(start.headers['set-cookie']);
  const cookie = setCookie.split(';')[0]!;
  const location = new URL(String(start.headers.location));
  const consent = await fetch(location, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location')!);
  return { cookie, code: back.searchParams.get('code')!, state: back.searchParams.get('state')!, location };
}

const callback = (query: Record<string, string>, cookie?: string) =>
  t.app.inject({
    method: 'GET',
    url: `/auth/google/callback?${new URLSearchParams(query).toString()}`,
    headers: cookie ? { cookie } : {},
  });

async function signInByRedirect() {
  const { cookie, code, state } = await authorize();
  return callback({ code, state }, cookie);
}

const exchange = (idToken: string) =>
  t.app.inject({ method: 'POST', url: '/auth/google/token', payload: { id_token: idToken } });

const idToken = (claims: Record<string, unknown>, expiresIn = 3600) =>
  oidc.issuer.buildToken({
    expiresIn,
    scopesOrTransform: (_header, payload) =>
      Object.assign(payload, { aud: CLIENT_ID, ...identity, ...claims }),
  });

async function counts(email: string, sub: string) {
  const users = await t.deps.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM users WHERE lower(email) = lower(${email})`,
  );
  const links = await t.deps.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM oauth_accounts WHERE oauth_provider = 'google' AND oauth_account_id = ${sub}`,
  );
  return { users: users.rows[0]!.n, links: links.rows[0]!.n };
}

function expect401(res: Awaited<ReturnType<typeof exchange>>, detail: string, code: string) {
  expect(res.statusCode).toBe(401);
  expect(res.json()).toEqual({ detail, code });
  expect(res.headers['www-authenticate']).toBe('Bearer');
}

describe('GET /auth/google', () => {
  it("redirects to the issuer's authorization endpoint with client, callback, scope, state and nonce", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/auth/google' });
    expect(res.statusCode).toBe(302);
    const location = new URL(String(res.headers.location));
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
      authorization_endpoint: string;
    };
    expect(`${location.origin}${location.pathname}`).toBe(discovery.authorization_endpoint);
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(location.searchParams.get('redirect_uri')).toBe(`${PUBLIC_BASE_URL}/auth/google/callback`);
    expect(location.searchParams.get('scope')).toBe('openid email profile');
    expect(location.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');

    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^session=[^;]+; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it('gives every sign-in attempt its own state', async () => {
    const a = await t.app.inject({ method: 'GET', url: '/auth/google' });
    const b = await t.app.inject({ method: 'GET', url: '/auth/google' });
    const state = (r: typeof a) => new URL(String(r.headers.location)).searchParams.get('state');
    expect(state(a)).not.toBe(state(b));
  });
});

describe('GET /auth/google/callback', () => {
  it('signs a new Google identity in as a new password-less account and links it', async () => {
    const res = await signInByRedirect();
    expect(res.statusCode).toBe(200);
    const body = res.json<Tokens>();
    expect(body.token_type).toBe('bearer');
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const rows = await t.deps.db.execute<{ id: number; hashed_password: string | null; role: string }>(
      sql`SELECT u.id, u.hashed_password, u.role FROM users u
          JOIN oauth_accounts o ON o.user_id = u.id
          WHERE o.oauth_provider = 'google' AND o.oauth_account_id = ${identity.sub}`,
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({ hashed_password: null, role: 'user' });
    expect(decodeJwt(body.access_token).sub).toBe(String(rows.rows[0]!.id));
    // The refresh token of that session works like any other.
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: body.refresh_token },
    });
    expect(refreshed.statusCode).toBe(200);
  });

  it('answers 400 AUTH_OAUTH_ONLY_ACCOUNT to a password login of an account created by Google', async () => {
    expect((await signInByRedirect()).statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: identity.email, password: 'whatever-password' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('AUTH_OAUTH_ONLY_ACCOUNT');
  });

  it('refuses a replayed state: a cookie and state are good for one callback only', async () => {
    const { cookie, code, state, location } = await authorize();
    expect((await callback({ code, state }, cookie)).statusCode).toBe(200);
    const csrf = 'Google authentication failed: CSRF Warning! State not equal in request and response.';
    // The same callback again, and with a fresh code the provider issued for the same state.
    expect401(await callback({ code, state }, cookie), csrf, 'AUTH_OAUTH_FAILED');
    const again = new URL((await fetch(location, { redirect: 'manual' })).headers.get('location')!);
    expect(again.searchParams.get('state')).toBe(state);
    expect401(
      await callback({ code: again.searchParams.get('code')!, state }, cookie),
      csrf,
      'AUTH_OAUTH_FAILED',
    );
  });

  it('refuses a forged state, a missing state and a missing or tampered cookie with the CSRF message', async () => {
    const { cookie, code, state } = await authorize();
    const csrf = 'Google authentication failed: CSRF Warning! State not equal in request and response.';
    const [name, value] = cookie.split('=') as [string, string];
    const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const res of [
      await callback({ code, state: `${state}x` }, cookie),
      await callback({ code }, cookie),
      await callback({ code, state }),
      await callback({ code, state }, tampered),
    ]) {
      expect401(res, csrf, 'AUTH_OAUTH_FAILED');
    }
    expect(await counts(identity.email!, identity.sub)).toEqual({ users: 0, links: 0 });
  });

  it("refuses another attempt's state (state bound to this browser's cookie)", async () => {
    const first = await authorize();
    const second = await authorize();
    const res = await callback({ code: second.code, state: second.state }, first.cookie);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_OAUTH_FAILED');
  });

  it("reports the provider's error and its description", async () => {
    const res = await callback({ error: 'access_denied', error_description: 'The user denied access' });
    expect401(res, 'Google authentication failed: The user denied access', 'AUTH_OAUTH_FAILED');
  });

  it('reports a code the token endpoint refuses', async () => {
    const { cookie, code, state } = await authorize();
    oidc.service.once('beforeResponse', (response: { body: unknown; statusCode: number }) => {
      response.body = { error: 'invalid_grant', error_description: 'Code was already redeemed.' };
      response.statusCode = 400;
    });
    const res = await callback({ code, state }, cookie);
    expect401(res, 'Google authentication failed: Code was already redeemed.', 'AUTH_OAUTH_FAILED');
  });

  it('refuses an unverified e-mail with 401 AUTH_OAUTH_EMAIL_UNVERIFIED', async () => {
    identity = newIdentity({ email_verified: false });
    expect401(await signInByRedirect(), 'Google email is not verified', 'AUTH_OAUTH_EMAIL_UNVERIFIED');
    expect(await counts(identity.email!, identity.sub)).toEqual({ users: 0, links: 0 });
  });

  it('refuses an identity without e-mail with 401 AUTH_OAUTH_NO_EMAIL', async () => {
    identity = { sub: `no-email-${Date.now()}`, email_verified: true };
    expect401(await signInByRedirect(), 'Could not retrieve email from Google', 'AUTH_OAUTH_NO_EMAIL');
  });

  it('clears the state cookie so that a state is used once', async () => {
    const { cookie, code, state } = await authorize();
    const res = await callback({ code, state }, cookie);
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/^session=; Max-Age=0/);
  });
});

describe('POST /auth/google/token', () => {
  it('signs in with a valid ID token', async () => {
    const res = await exchange(await idToken({}));
    expect(res.statusCode).toBe(200);
    expect(res.json<Tokens>().token_type).toBe('bearer');
    expect(await counts(identity.email!, identity.sub)).toEqual({ users: 1, links: 1 });
  });

  it('refuses a token issued for another audience', async () => {
    expect401(
      await exchange(await idToken({ aud: 'another-client' })),
      'Invalid Google token',
      'AUTH_GOOGLE_INVALID_TOKEN',
    );
  });

  it('refuses an expired token', async () => {
    expect401(await exchange(await idToken({}, -120)), 'Invalid Google token', 'AUTH_GOOGLE_INVALID_TOKEN');
  });

  it('refuses a token from another issuer', async () => {
    expect401(
      await exchange(await idToken({ iss: 'https://accounts.evil.example.com' })),
      'Invalid Google token',
      'AUTH_GOOGLE_INVALID_TOKEN',
    );
  });

  it("refuses a token signed by a key that is not in the issuer's JWKS", async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const knownKid = (oidc.issuer.keys.toJSON() as { kid: string }[])[0]!.kid;
    const now = Math.floor(Date.now() / 1000);
    for (const kid of ['unknown-key', knownKid]) {
      const forged = await new SignJWT({ ...identity, aud: CLIENT_ID, iss: issuer })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey);
      expect401(await exchange(forged), 'Invalid Google token', 'AUTH_GOOGLE_INVALID_TOKEN');
    }
  });

  it('refuses garbage and an unsigned token', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none' })}.${b64({ ...identity, aud: CLIENT_ID, iss: issuer, iat: now, exp: now + 60 })}.`;
    for (const token of ['not-a-jwt', unsigned, '']) {
      expect401(await exchange(token), 'Invalid Google token', 'AUTH_GOOGLE_INVALID_TOKEN');
    }
  });

  it('refuses an unverified e-mail with 401 AUTH_OAUTH_EMAIL_UNVERIFIED', async () => {
    expect401(
      await exchange(await idToken({ email_verified: false })),
      'Google email is not verified',
      'AUTH_OAUTH_EMAIL_UNVERIFIED',
    );
  });

  it('requires id_token in the body (422)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/google/token', payload: {} });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: 'missing', loc: ['body', 'id_token'] });
  });
});

describe('account linking', () => {
  it('links Google to an existing verified password account with that e-mail in any case; the password keeps working', async () => {
    const email = `Reader.${Date.now()}@Example.com`;
    const registered = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email, password: PASSWORD },
    });
    expect(registered.statusCode).toBe(201);
    const userId = decodeJwt(registered.json<Tokens>().access_token).sub;
    // The owner confirmed the address (verification link or password reset) before.
    await t.deps.db.execute(sql`UPDATE users SET email_verified_at = now() WHERE id = ${Number(userId)}`);

    identity = newIdentity({ email: email.toLowerCase() });
    const res = await exchange(await idToken({}));
    expect(res.statusCode).toBe(200);
    expect(decodeJwt(res.json<Tokens>().access_token).sub).toBe(userId);
    expect(await counts(email, identity.sub)).toEqual({ users: 1, links: 1 });

    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email, password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
  });

  it('removes the password and ends every session of an unverified account it links (pre-account takeover)', async () => {
    // The attacker registers the victim's address with a password of their own and keeps a session.
    const email = uniqueEmail('victim');
    const registered = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email, password: PASSWORD },
    });
    expect(registered.statusCode).toBe(201);
    const attacker = registered.json<Tokens>();
    const userId = Number(decodeJwt(attacker.access_token).sub);

    // The victim signs in with Google: same account, now theirs alone.
    identity = newIdentity({ email });
    const res = await exchange(await idToken({}));
    expect(res.statusCode).toBe(200);
    expect(decodeJwt(res.json<Tokens>().access_token).sub).toBe(String(userId));

    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email, password: PASSWORD },
    });
    expect(login.statusCode).toBe(400);
    expect(login.json().code).toBe('AUTH_OAUTH_ONLY_ACCOUNT');
    const attackerRefresh = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: attacker.refresh_token },
    });
    expect(attackerRefresh.statusCode).toBe(401);
    // The victim's own session works, and the address now counts as verified.
    const victimRefresh = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: res.json<Tokens>().refresh_token },
    });
    expect(victimRefresh.statusCode).toBe(200);
    const row = await t.deps.db.execute<{ hashed_password: string | null; email_verified_at: Date | null }>(
      sql`SELECT hashed_password, email_verified_at FROM users WHERE id = ${userId}`,
    );
    expect(row.rows[0]!.hashed_password).toBeNull();
    expect(row.rows[0]!.email_verified_at).not.toBeNull();
  });

  it('marks a new account created by Google sign-in as verified', async () => {
    expect((await signInByRedirect()).statusCode).toBe(200);
    const row = await t.deps.db.execute<{ email_verified_at: Date | null }>(
      sql`SELECT email_verified_at FROM users WHERE lower(email) = lower(${identity.email!})`,
    );
    expect(row.rows[0]!.email_verified_at).not.toBeNull();
  });

  it('signs the same Google identity into the same account every time, without duplicates', async () => {
    const subs = new Set<string | undefined>();
    for (let i = 0; i < 2; i++) {
      const viaRedirect = await signInByRedirect();
      expect(viaRedirect.statusCode).toBe(200);
      subs.add(decodeJwt(viaRedirect.json<Tokens>().access_token).sub);
      const viaToken = await exchange(await idToken({}));
      expect(viaToken.statusCode).toBe(200);
      subs.add(decodeJwt(viaToken.json<Tokens>().access_token).sub);
    }
    expect(subs.size).toBe(1);
    expect(await counts(identity.email!, identity.sub)).toEqual({ users: 1, links: 1 });
  });

  it('follows the link, not the e-mail, once an identity is linked', async () => {
    expect((await exchange(await idToken({}))).statusCode).toBe(200);
    const first = await counts(identity.email!, identity.sub);
    const changedEmail = uniqueEmail('changed');
    const res = await exchange(await idToken({ email: changedEmail }));
    expect(res.statusCode).toBe(200);
    expect(first).toEqual({ users: 1, links: 1 });
    expect((await counts(changedEmail, identity.sub)).users).toBe(0);
  });

  it('creates one account and one link for concurrent first sign-ins of one identity', async () => {
    const token = await idToken({});
    const results = await Promise.all(Array.from({ length: 8 }, () => exchange(token)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(new Set(results.map((r) => decodeJwt(r.json<Tokens>().access_token).sub)).size).toBe(1);
    expect(await counts(identity.email!, identity.sub)).toEqual({ users: 1, links: 1 });
  });

  it('answers 401 AUTH_USER_INACTIVE for a deactivated account, by link or by e-mail', async () => {
    const user = await createUser(t, { isActive: false });
    identity = newIdentity({ email: user.email });
    expect401(await exchange(await idToken({})), 'User not found or inactive', 'AUTH_USER_INACTIVE');
    expect401(await signInByRedirect(), 'User not found or inactive', 'AUTH_USER_INACTIVE');
  });

  it('answers 401 AUTH_USER_INACTIVE to a sign-in that waited for a deactivation in progress', async () => {
    const user = await createUser(t);
    identity = newIdentity({ email: user.email });
    const token = await idToken({});
    const deactivation = await t.deps.pool.connect();
    try {
      await deactivation.query('BEGIN');
      await deactivation.query('SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE', [user.id]);
      const pending = exchange(token);
      expect(await waitForLockWaiter(t)).toBe(true);
      await deactivation.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
      await deactivation.query('COMMIT');
      expect401(await pending, 'User not found or inactive', 'AUTH_USER_INACTIVE');
    } finally {
      deactivation.release();
    }
    const live = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = ${user.id} AND revoked_at IS NULL`,
    );
    expect(live.rows[0]!.n).toBe(0);
  });
});

describe('without GOOGLE_CLIENT_ID', () => {
  let unconfigured: TestContext;
  beforeAll(async () => {
    unconfigured = await startTestApp({ env: { GOOGLE_ISSUER: issuer } });
  });
  afterAll(() => unconfigured.close());

  it('answers 503 AUTH_OAUTH_NOT_CONFIGURED on the three Google endpoints, before validation', async () => {
    for (const req of [
      { method: 'GET' as const, url: '/auth/google' },
      { method: 'GET' as const, url: '/auth/google/callback?code=x&state=y' },
      { method: 'POST' as const, url: '/auth/google/token', payload: { id_token: 'x' } },
      { method: 'POST' as const, url: '/auth/google/token', payload: {} },
    ]) {
      const res = await unconfigured.app.inject(req);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ detail: 'OAuth not configured', code: 'AUTH_OAUTH_NOT_CONFIGURED' });
    }
  });
});

describe('OpenAPI', () => {
  it('documents the Google endpoints', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.paths['/auth/google'].get.tags).toEqual(['auth']);
    expect(doc.paths['/auth/google'].get.responses['302']).toBeDefined();
    expect(doc.paths['/auth/google/callback'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['code', 'state']),
    );
    expect(doc.paths['/auth/google/token'].post.requestBody).toBeDefined();
  });
});
