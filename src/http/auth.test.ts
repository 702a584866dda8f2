import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdmin, createUser, TEST_SECRET, useTestApp } from '../../test/helpers.js';
import { createAccessTokens } from '../modules/auth/auth.tokens.js';
import { createAuthGuards, currentUser } from './auth.js';
import { laxInt } from './schemas.js';

const t = useTestApp({
  extraRoutes: (app, deps) => {
    const guards = createAuthGuards(deps.db, deps.tokens);
    const querystring = z.object({ n: laxInt({ min: 1 }).default(1) });
    const routes: FastifyPluginAsyncZod = async (scope) => {
      scope.get('/test/active', { preValidation: guards.activeUser, schema: { querystring } }, (request) =>
        currentUser(request),
      );
      scope.get('/test/admin', { preValidation: guards.admin, schema: { querystring } }, (request) =>
        currentUser(request),
      );
    };
    void app.register(routes);
  },
});

const get = (url: string, authorization?: string) =>
  t.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });

const signedAt = (at: Date, secret = TEST_SECRET) => createAccessTokens(secret, 15, () => at);

function expectUnauthorized(res: Awaited<ReturnType<typeof get>>, detail: string, code: string) {
  expect(res.statusCode).toBe(401);
  expect(res.json()).toEqual({ detail, code });
  expect(res.headers['www-authenticate']).toBe('Bearer');
}

describe('the active-user guard', () => {
  it('lets an active user through and exposes id, e-mail and role', async () => {
    const user = await createUser(t);
    const res = await get('/test/active', `Bearer ${user.token}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: user.id, email: user.email, role: 'user' });
  });

  it('compares the scheme case-insensitively', async () => {
    const user = await createUser(t);
    expect((await get('/test/active', `bearer ${user.token}`)).statusCode).toBe(200);
    expect((await get('/test/active', `BEARER ${user.token}`)).statusCode).toBe(200);
  });

  it('answers 401 HTTP_401 without an Authorization header or with another scheme', async () => {
    expectUnauthorized(await get('/test/active'), 'Not authenticated', 'HTTP_401');
    expectUnauthorized(await get('/test/active', 'Basic dXNlcjpwYXNz'), 'Not authenticated', 'HTTP_401');
    expectUnauthorized(await get('/test/active', 'Bearer'), 'Not authenticated', 'HTTP_401');
  });

  it('answers 401 AUTH_TOKEN_EXPIRED for an expired token', async () => {
    const user = await createUser(t);
    const token = await signedAt(new Date(Date.now() - 16 * 60_000)).sign(user.id, 'user');
    expectUnauthorized(
      await get('/test/active', `Bearer ${token}`),
      'Access token has expired',
      'AUTH_TOKEN_EXPIRED',
    );
  });

  it('answers 401 AUTH_TOKEN_INVALID for a bad signature, alg none, another alg, iat in the future or garbage', async () => {
    const user = await createUser(t);
    const key = new TextEncoder().encode(TEST_SECRET);
    const claims = { sub: String(user.id), role: 'user', jti: randomUUID() };
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const tokens = [
      await signedAt(new Date(), 'another-secret-that-is-long-enough-0123456789').sign(user.id, 'user'),
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iat: now, exp: now + 900 })}.`,
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS512', typ: 'JWT' })
        .setIssuedAt(now)
        .setExpirationTime(now + 900)
        .sign(key),
      await signedAt(new Date(Date.now() + 5 * 60_000)).sign(user.id, 'user'),
      'not.a.jwt',
    ];
    for (const token of tokens) {
      expectUnauthorized(
        await get('/test/active', `Bearer ${token}`),
        'Invalid access token',
        'AUTH_TOKEN_INVALID',
      );
    }
  });

  it('answers 403 AUTH_ACCOUNT_DEACTIVATED on the next request after deactivation', async () => {
    const user = await createUser(t);
    expect((await get('/test/active', `Bearer ${user.token}`)).statusCode).toBe(200);
    await t.deps.db.execute(sql`UPDATE users SET is_active = false WHERE id = ${user.id}`);
    const res = await get('/test/active', `Bearer ${user.token}`);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      detail: 'Account deactivated. Contact support.',
      code: 'AUTH_ACCOUNT_DEACTIVATED',
    });
  });

  it('answers 403 AUTH_ACCOUNT_DEACTIVATED for a valid token of a deleted account', async () => {
    const token = await t.deps.tokens.sign(2_000_000_000, 'user');
    const res = await get('/test/active', `Bearer ${token}`);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_ACCOUNT_DEACTIVATED');
  });

  it('checks authentication before validating parameters', async () => {
    expect((await get('/test/active?n=abc')).statusCode).toBe(401);
    const user = await createUser(t);
    const res = await get('/test/active?n=abc', `Bearer ${user.token}`);
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: 'int_parsing', loc: ['query', 'n'] });
  });
});

describe('the admin guard', () => {
  it('lets an admin through', async () => {
    const admin = await createAdmin(t);
    const res = await get('/test/admin', `Bearer ${admin.token}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: admin.id, role: 'admin' });
  });

  it('answers 403 AUTH_FORBIDDEN to a user', async () => {
    const user = await createUser(t);
    const res = await get('/test/admin', `Bearer ${user.token}`);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ detail: 'Admin access required', code: 'AUTH_FORBIDDEN' });
  });

  it('reads the role from the database: a demoted admin is refused on the next request', async () => {
    const admin = await createAdmin(t);
    expect((await get('/test/admin', `Bearer ${admin.token}`)).statusCode).toBe(200);
    await t.deps.db.execute(sql`UPDATE users SET role = 'user' WHERE id = ${admin.id}`);
    const res = await get('/test/admin', `Bearer ${admin.token}`);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_FORBIDDEN');
    expect((await get('/test/active', `Bearer ${admin.token}`)).json()).toMatchObject({ role: 'user' });
  });

  it('answers a deactivated admin with 403 AUTH_ACCOUNT_DEACTIVATED before the role check', async () => {
    const admin = await createAdmin(t);
    await t.deps.db.execute(sql`UPDATE users SET is_active = false WHERE id = ${admin.id}`);
    const res = await get('/test/admin', `Bearer ${admin.token}`);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_ACCOUNT_DEACTIVATED');
  });

  it('answers 401, then 403, before any 422', async () => {
    expect((await get('/test/admin?n=0')).statusCode).toBe(401);
    const user = await createUser(t);
    expect((await get('/test/admin?n=0', `Bearer ${user.token}`)).statusCode).toBe(403);
    const admin = await createAdmin(t);
    expect((await get('/test/admin?n=0', `Bearer ${admin.token}`)).statusCode).toBe(422);
  });
});
