import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { revokeUserRefreshTokens } from './auth.repository.js';
import { createUser, PASSWORD, PASSWORD_HASH, uniqueEmail, useTestApp } from '../../../test/helpers.js';

/** Generated with @node-rs/argon2 using the reference's parameters (argon2-cffi defaults) for "password123". */
const REFERENCE_HASH =
  '$argon2id$v=19$m=65536,t=3,p=4$7P88R6nRUmAqPwjtDsc7vQ$c3z7Kqzv5MrHmfRWYf9FL1XjK+vaXMTvGruji1ROVd4';

const DAY_MS = 24 * 60 * 60 * 1000;
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

const t = useTestApp({
  // This file signs in far more often than the per-address flood limits allow one client.
  env: {
    REFRESH_TOKEN_EXPIRE_DAYS: '7',
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    REGISTER_RATE_LIMIT_PER_HOUR: '10000',
  },
  deps: { clock },
});
beforeEach(() => {
  clock.offsetMs = 0;
});

interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
}

const post = (url: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, payload });
const register = (email: string, password = PASSWORD) => post('/auth/register', { email, password });
const login = (email: string, password = PASSWORD) => post('/auth/login', { email, password });
const refresh = (token: string) => post('/auth/refresh', { refresh_token: token });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function registered(email = uniqueEmail()): Promise<Tokens & { email: string }> {
  const res = await register(email);
  expect(res.statusCode).toBe(201);
  return { ...res.json<Tokens>(), email };
}

async function storedHash(userId: number): Promise<string | null> {
  const rows = await t.deps.db.execute<{ hashed_password: string | null }>(
    sql`SELECT hashed_password FROM users WHERE id = ${userId}`,
  );
  return rows.rows[0]!.hashed_password;
}

async function tokenRow(token: string) {
  const rows = await t.deps.db.execute<{
    user_id: number;
    token_family: string;
    expires_at: Date;
    family_expires_at: Date;
    revoked_at: Date | null;
  }>(sql`SELECT user_id, token_family, expires_at, family_expires_at, revoked_at
         FROM refresh_tokens WHERE token = ${sha256(token)}`);
  const row = rows.rows[0];
  return (
    row && {
      ...row,
      expires_at: new Date(row.expires_at),
      family_expires_at: new Date(row.family_expires_at),
      revoked_at: row.revoked_at && new Date(row.revoked_at),
    }
  );
}

describe('POST /auth/register', () => {
  it('creates an active user account and answers 201 with a token pair', async () => {
    const email = uniqueEmail();
    const res = await register(email);
    expect(res.statusCode).toBe(201);
    const body = res.json<Tokens>();
    expect(Object.keys(body).sort()).toEqual(['access_token', 'refresh_token', 'token_type']);
    expect(body.token_type).toBe('bearer');
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{86}$/);

    const claims = decodeJwt(body.access_token);
    const user = await t.deps.db.execute<{
      id: number;
      role: string;
      is_active: boolean;
      hashed_password: string;
    }>(sql`SELECT id, role, is_active, hashed_password FROM users WHERE email = ${email}`);
    const row = user.rows[0]!;
    expect(claims.sub).toBe(String(row.id));
    expect(claims.role).toBe('user');
    expect(row).toMatchObject({ role: 'user', is_active: true });
    expect(row.hashed_password).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('stores only the SHA-256 of the refresh token, never the token itself', async () => {
    const { refresh_token } = await registered();
    const plain = await t.deps.db.execute(sql`SELECT 1 FROM refresh_tokens WHERE token = ${refresh_token}`);
    expect(plain.rows).toHaveLength(0);
    expect(await tokenRow(refresh_token)).toBeDefined();
  });

  it('ignores a role sent in the body: every registered account is a user', async () => {
    const email = uniqueEmail();
    const res = await post('/auth/register', { email, password: PASSWORD, role: 'admin' });
    expect(res.statusCode).toBe(201);
    expect(decodeJwt(res.json<Tokens>().access_token).role).toBe('user');
  });

  it('normalises the address: trims, unwraps "Name <addr>", lower-cases only the domain', async () => {
    const local = `Mixed.${Date.now()}`;
    const res = await register(`  Alice Smith <${local}@EXAMPLE.Com>  `);
    expect(res.statusCode).toBe(201);
    const rows = await t.deps.db.execute<{ email: string }>(
      sql`SELECT email FROM users WHERE lower(email) = lower(${`${local}@example.com`})`,
    );
    expect(rows.rows.map((r) => r.email)).toEqual([`${local}@example.com`]);
  });

  it('answers 409 AUTH_EMAIL_CONFLICT for an address already registered, in any case', async () => {
    const email = uniqueEmail();
    await registered(email);
    for (const again of [email, email.toUpperCase()]) {
      const res = await register(again);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({
        detail: 'Email already registered',
        code: 'AUTH_EMAIL_CONFLICT',
        field: 'email',
      });
    }
  });

  it('gives exactly one 201 and only 409s to 20 concurrent registrations of one address', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => register(i % 2 === 0 ? email : email.toUpperCase())),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const count = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM users WHERE lower(email) = lower(${email})`,
    );
    expect(count.rows[0]!.n).toBe(1);
  });

  it.each([
    ['plainaddress', 'An email address must have an @-sign.'],
    ['@example.com', 'There must be something before the @-sign.'],
    ['user@', 'There must be something after the @-sign.'],
    ['user@localhost', 'The part after the @-sign is not valid. It should have a period.'],
    [
      'user@shop.test',
      'The part after the @-sign is a special-use or reserved name that cannot be used with email.',
    ],
    [
      'user@printer.local',
      'The part after the @-sign is a special-use or reserved name that cannot be used with email.',
    ],
    [
      'user@x.invalid',
      'The part after the @-sign is a special-use or reserved name that cannot be used with email.',
    ],
    [
      'user@hidden.onion',
      'The part after the @-sign is a special-use or reserved name that cannot be used with email.',
    ],
    [
      'user@in-addr.arpa',
      'The part after the @-sign is a special-use or reserved name that cannot be used with email.',
    ],
    ['.user@example.com', 'An email address cannot start with a period.'],
    ['user.@example.com', 'An email address cannot have a period immediately before the @-sign.'],
    ['us..er@example.com', 'An email address cannot have two periods in a row.'],
    ['us er@example.com', 'The email address contains invalid characters before the @-sign: SPACE.'],
    ['user@exa_mple.com', "The part after the @-sign contains invalid characters: '_'."],
    ['user@example.', 'An email address cannot end with a period.'],
    ['user@-example.com', 'An email address cannot have a hyphen immediately after the @-sign.'],
    [
      'user@example.123',
      'The part after the @-sign is not valid. It is not within a valid top-level domain.',
    ],
    ['user@[127.0.0.1]', 'A bracketed IP address after the @-sign is not allowed here.'],
    [
      `${'a'.repeat(65)}@example.com`,
      'The email address is too long before the @-sign (1 character too many).',
    ],
  ])('rejects %j with 422 value_error and the reason', async (email, reason) => {
    const res = await register(email);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      code: 'VALIDATION_ERROR',
      detail: [
        {
          type: 'value_error',
          loc: ['body', 'email'],
          msg: `value is not a valid email address: ${reason}`,
          input: email,
          ctx: { reason },
        },
      ],
    });
  });

  it('accepts example.com, subdomains and international addresses', async () => {
    for (const email of [
      uniqueEmail(),
      `x${Date.now()}@mail.example.co.uk`,
      `ünï${Date.now()}@exämple.com`,
    ]) {
      expect((await register(email)).statusCode).toBe(201);
    }
  });

  it('requires a password of 8 to 256 characters', async () => {
    const short = await register(uniqueEmail(), 'seven77');
    expect(short.statusCode).toBe(422);
    expect(short.json().detail).toEqual([
      {
        type: 'string_too_short',
        loc: ['body', 'password'],
        msg: 'String should have at least 8 characters',
        input: 'seven77',
        ctx: { min_length: 8 },
      },
    ]);
    const long = await register(uniqueEmail(), 'x'.repeat(257));
    expect(long.statusCode).toBe(422);
    expect(long.json().detail[0]).toMatchObject({
      type: 'string_too_long',
      loc: ['body', 'password'],
      ctx: { max_length: 256 },
    });
    expect((await register(uniqueEmail(), 'x'.repeat(256))).statusCode).toBe(201);
    expect((await register(uniqueEmail(), '12345678')).statusCode).toBe(201);
  });

  it('reports every missing field and a missing body as 422', async () => {
    const empty = await post('/auth/register', {});
    expect(empty.statusCode).toBe(422);
    expect(empty.json().detail.map((d: { loc: string[]; type: string }) => [d.loc, d.type])).toEqual([
      [['body', 'email'], 'missing'],
      [['body', 'password'], 'missing'],
    ]);
    const none = await t.app.inject({ method: 'POST', url: '/auth/register' });
    expect(none.statusCode).toBe(422);
    expect(none.json().detail).toEqual([
      { type: 'missing', loc: ['body'], msg: 'Field required', input: null },
    ]);
  });
});

describe('POST /auth/login', () => {
  it('answers 200 with a new session for the right password', async () => {
    const { email } = await registered();
    const res = await login(email);
    expect(res.statusCode).toBe(200);
    const body = res.json<Tokens>();
    expect(body.token_type).toBe('bearer');
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(decodeJwt(body.access_token).role).toBe('user');
    // The only cookie is the login throttle's device cookie (issue 9 item 10), sent back to /auth/login only.
    expect(res.headers['set-cookie']).toMatch(
      /^bookstore_device=[\w-]+\.[\w-]+; Max-Age=\d+; Path=\/auth\/login; HttpOnly; SameSite=Strict$/,
    );
  });

  it('sets no cookie on a failed login', async () => {
    const { email } = await registered();
    const res = await login(email, 'wrong-password');
    expect(res.statusCode).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('matches the address regardless of case', async () => {
    const email = `Bob.${Date.now()}@Example.com`;
    await registered(email);
    expect((await login(email.toLowerCase())).statusCode).toBe(200);
    expect((await login(email.toUpperCase())).statusCode).toBe(200);
  });

  it('answers an unknown address and a wrong password with the identical 401 and WWW-Authenticate', async () => {
    const { email } = await registered();
    const unknown = await login(uniqueEmail('nobody'));
    const wrong = await login(email, 'wrong-password');
    for (const res of [unknown, wrong]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ detail: 'Invalid email or password', code: 'AUTH_INVALID_CREDENTIALS' });
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('spends a password verification on an unknown address too (no timing oracle)', async () => {
    const { email } = await registered();
    const time = async (e: string) => {
      const start = performance.now();
      expect((await login(e, 'wrong-password')).statusCode).toBe(401);
      return performance.now() - start;
    };
    await time(uniqueEmail('warm'));
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 5; i++) {
      unknown.push(await time(uniqueEmail('nobody')));
      wrong.push(await time(email));
    }
    expect(median(unknown)).toBeGreaterThan(median(wrong) / 3);
  });

  it('answers an empty password with 401, and a password over 256 characters with 422', async () => {
    const { email } = await registered();
    expect((await login(email, '')).statusCode).toBe(401);
    const long = await login(email, 'x'.repeat(257));
    expect(long.statusCode).toBe(422);
    expect(long.json().detail[0]).toMatchObject({ type: 'string_too_long', loc: ['body', 'password'] });
  });

  it('answers a malformed address with 422, not 401', async () => {
    const res = await login('not-an-address', PASSWORD);
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: 'value_error', loc: ['body', 'email'] });
  });

  it('answers 400 AUTH_OAUTH_ONLY_ACCOUNT for an account without a password', async () => {
    const user = await createUser(t, { passwordHash: null });
    const res = await login(user.email, 'anything-at-all');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      detail: 'This account uses social login. Please log in with Google or GitHub.',
      code: 'AUTH_OAUTH_ONLY_ACCOUNT',
    });
  });

  it('answers 403 for a deactivated account only after the right password', async () => {
    const user = await createUser(t, { isActive: false });
    expect((await login(user.email, 'wrong-password')).statusCode).toBe(401);
    const res = await login(user.email);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      detail: 'Account deactivated. Contact support.',
      code: 'AUTH_ACCOUNT_DEACTIVATED',
    });
  });

  it("verifies the reference's Argon2id hashes (m=65536, t=3, p=4) and rehashes them with the current cost", async () => {
    const user = await createUser(t, { passwordHash: REFERENCE_HASH });
    expect((await login(user.email, 'password124')).statusCode).toBe(401);
    expect(await storedHash(user.id)).toBe(REFERENCE_HASH);
    expect((await login(user.email, PASSWORD)).statusCode).toBe(200);
    const upgraded = await storedHash(user.id);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login(user.email, PASSWORD)).statusCode).toBe(200);
    expect((await login(user.email, 'password124')).statusCode).toBe(401);
    expect(await storedHash(user.id)).toBe(upgraded);
  });

  it('leaves a hash made with the current parameters as it is', async () => {
    const user = await createUser(t);
    expect((await login(user.email)).statusCode).toBe(200);
    expect(await storedHash(user.id)).toBe(PASSWORD_HASH);
  });

  it('starts a new session (token family) at every login', async () => {
    const { email, refresh_token: first } = await registered();
    const second = (await login(email)).json<Tokens>().refresh_token;
    expect((await tokenRow(first))!.token_family).not.toBe((await tokenRow(second))!.token_family);
  });
});

describe('POST /auth/refresh', () => {
  it('rotates the token within its family and revokes the presented one', async () => {
    const first = await registered();
    const res = await refresh(first.refresh_token);
    expect(res.statusCode).toBe(200);
    const second = res.json<Tokens>();
    expect(second.refresh_token).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(second.access_token).sub).toBe(decodeJwt(first.access_token).sub);

    const oldRow = (await tokenRow(first.refresh_token))!;
    const newRow = (await tokenRow(second.refresh_token))!;
    expect(oldRow.revoked_at).not.toBeNull();
    expect(newRow.revoked_at).toBeNull();
    expect(newRow.token_family).toBe(oldRow.token_family);
    expect(newRow.family_expires_at.getTime()).toBe(oldRow.family_expires_at.getTime());
    expect((await refresh(second.refresh_token)).statusCode).toBe(200);
  });

  it('gives a token REFRESH_TOKEN_EXPIRE_DAYS to live, within a family capped at 30 days from login', async () => {
    const before = Date.now();
    const { refresh_token } = await registered();
    const row = (await tokenRow(refresh_token))!;
    expect(row.expires_at.getTime()).toBeGreaterThanOrEqual(before + 7 * DAY_MS - 1000);
    expect(row.expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 7 * DAY_MS + 1000);
    expect(row.family_expires_at.getTime()).toBeGreaterThanOrEqual(before + 30 * DAY_MS - 1000);
    expect(row.family_expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS + 1000);
  });

  it('ends a session 30 days after its login however often it was refreshed', async () => {
    let token = (await registered()).refresh_token;
    for (const day of [6, 12, 18, 24, 29]) {
      clock.offsetMs = day * DAY_MS;
      const res = await refresh(token);
      expect(res.statusCode).toBe(200);
      token = res.json<Tokens>().refresh_token;
    }
    const last = (await tokenRow(token))!;
    expect(last.expires_at.getTime()).toBe(last.family_expires_at.getTime());
    clock.offsetMs = 30 * DAY_MS + 60_000;
    const res = await refresh(token);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ detail: 'Invalid or expired refresh token', code: 'AUTH_REFRESH_INVALID' });
  });

  it('rejects a token that expired without refresh (sliding expiry) with AUTH_REFRESH_INVALID', async () => {
    const { refresh_token } = await registered();
    clock.offsetMs = 7 * DAY_MS + 60_000;
    const res = await refresh(refresh_token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_REFRESH_INVALID');
  });

  it('answers an unknown token with 401 AUTH_REFRESH_INVALID and WWW-Authenticate', async () => {
    const res = await refresh('not-a-token');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ detail: 'Invalid or expired refresh token', code: 'AUTH_REFRESH_INVALID' });
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('revokes the whole family when a revoked token is presented again, and that revocation sticks', async () => {
    const { email, refresh_token: first } = await registered();
    const second = (await refresh(first)).json<Tokens>().refresh_token;
    const third = (await refresh(second)).json<Tokens>().refresh_token;
    const otherSession = (await login(email)).json<Tokens>().refresh_token;

    const reuse = await refresh(first);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json()).toEqual({
      detail: 'Refresh token reuse detected — all sessions revoked',
      code: 'AUTH_TOKEN_REUSE',
    });

    // The newest token of that family no longer works: the revocation was committed.
    const newest = await refresh(third);
    expect(newest.statusCode).toBe(401);
    expect(newest.json().code).toBe('AUTH_TOKEN_REUSE');
    expect((await tokenRow(third))!.revoked_at).not.toBeNull();
    // Another session of the same user is a different family and keeps working.
    expect((await refresh(otherSession)).statusCode).toBe(200);
  });

  it('rejects an expired token as invalid even when it is also revoked, without touching the family', async () => {
    const { refresh_token: first } = await registered();
    const second = (await refresh(first)).json<Tokens>().refresh_token;
    await t.deps.db.execute(
      sql`UPDATE refresh_tokens SET expires_at = now() - interval '1 minute' WHERE token = ${sha256(first)}`,
    );
    const res = await refresh(first);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_REFRESH_INVALID');
    expect((await refresh(second)).statusCode).toBe(200);
  });

  it('answers AUTH_USER_INACTIVE for a deactivated account and keeps the presented token revoked', async () => {
    const { email, refresh_token } = await registered();
    await t.deps.db.execute(sql`UPDATE users SET is_active = false WHERE email = ${email}`);
    const res = await refresh(refresh_token);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ detail: 'User not found or inactive', code: 'AUTH_USER_INACTIVE' });
    expect((await tokenRow(refresh_token))!.revoked_at).not.toBeNull();
    await t.deps.db.execute(sql`UPDATE users SET is_active = true WHERE email = ${email}`);
    expect((await refresh(refresh_token)).json().code).toBe('AUTH_TOKEN_REUSE');
  });

  it('refuses every session of a user after revokeUserRefreshTokens (deactivation) with AUTH_TOKEN_REUSE', async () => {
    const { email, refresh_token: first, access_token } = await registered();
    const second = (await login(email)).json<Tokens>().refresh_token;
    const userId = Number(decodeJwt(access_token).sub);
    expect(await revokeUserRefreshTokens(t.deps.db, userId, new Date())).toBe(2);
    expect(await revokeUserRefreshTokens(t.deps.db, userId, new Date())).toBe(0);
    for (const token of [first, second]) {
      const res = await refresh(token);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('AUTH_TOKEN_REUSE');
    }
    // Signing in again starts a fresh session.
    expect((await refresh((await login(email)).json<Tokens>().refresh_token)).statusCode).toBe(200);
  });

  it('requires refresh_token in the body (422)', async () => {
    const res = await post('/auth/refresh', {});
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: 'missing', loc: ['body', 'refresh_token'] });
  });
});

describe('POST /auth/logout', () => {
  it('revokes only the given token and answers 204 with an empty body', async () => {
    const { email, refresh_token } = await registered();
    const other = (await login(email)).json<Tokens>().refresh_token;
    const res = await post('/auth/logout', { refresh_token });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await tokenRow(refresh_token))!.revoked_at).not.toBeNull();
    expect((await refresh(refresh_token)).statusCode).toBe(401);
    expect((await refresh(other)).statusCode).toBe(200);
  });

  it('answers 204 for an unknown or already revoked token, without authentication', async () => {
    const { refresh_token } = await registered();
    expect((await post('/auth/logout', { refresh_token })).statusCode).toBe(204);
    expect((await post('/auth/logout', { refresh_token })).statusCode).toBe(204);
    expect((await post('/auth/logout', { refresh_token: 'unknown' })).statusCode).toBe(204);
  });

  it('treats a token that was already rotated as reuse: the whole family ends', async () => {
    const { email, refresh_token: first } = await registered();
    const second = (await refresh(first)).json<Tokens>().refresh_token;
    const otherSession = (await login(email)).json<Tokens>().refresh_token;

    const res = await post('/auth/logout', { refresh_token: first });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    // The live token of that family was revoked too (committed), so whoever holds it is signed out.
    expect((await tokenRow(second))!.revoked_at).not.toBeNull();
    expect((await refresh(second)).json().code).toBe('AUTH_TOKEN_REUSE');
    // Another session of the same user is a different family and keeps working.
    expect((await refresh(otherSession)).statusCode).toBe(200);
  });

  it('leaves the access token valid until it expires', async () => {
    const { access_token, refresh_token } = await registered();
    await post('/auth/logout', { refresh_token });
    expect(await t.deps.tokens.verify(access_token)).toMatchObject({ ok: true });
  });

  it('requires refresh_token in the body (422)', async () => {
    const res = await post('/auth/logout', { token: 'x' });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: 'missing', loc: ['body', 'refresh_token'] });
  });
});

describe('OpenAPI', () => {
  it('documents the auth routes with their bodies and token response', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const path of ['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout']) {
      const op = doc.paths[path].post;
      expect(op.tags).toEqual(['auth']);
      expect(op.summary).toBeTruthy();
      expect(op.requestBody.content['application/json'].schema).toBeDefined();
    }
    expect(doc.paths['/auth/register'].post.responses['201']).toBeDefined();
    expect(doc.paths['/auth/logout'].post.responses['204']).toBeDefined();
  });
});
