import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  createUser,
  PASSWORD,
  type TestUser,
  useAdmin,
  useTestApp,
  waitForLockWaiter,
} from '../../../test/helpers.js';

const t = useTestApp({
  env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000', REGISTER_RATE_LIMIT_PER_HOUR: '10000' },
});
const admin = useAdmin(t);

const ROUNDS = 20;

const login = (email: string) =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: PASSWORD } });
const refresh = (token: string) =>
  t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: token } });
const deactivate = (userId: number) =>
  t.app.inject({ method: 'PATCH', url: `/admin/users/${userId}/deactivate`, headers: admin.auth });

async function later<T>(ms: number, f: () => Promise<T>): Promise<T> {
  await new Promise((r) => setTimeout(r, ms));
  return f();
}

async function liveTokens(userId: number): Promise<number> {
  const rows = await t.deps.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = ${userId} AND revoked_at IS NULL`,
  );
  return rows.rows[0]!.n;
}

async function loggedIn(): Promise<{ user: TestUser; refreshToken: string }> {
  const user = await createUser(t);
  const res = await login(user.email);
  expect(res.statusCode).toBe(200);
  return { user, refreshToken: res.json<{ refresh_token: string }>().refresh_token };
}

describe('sessions racing a deactivation', () => {
  it('never fails with a 500 and leaves no live refresh token when a refresh races the deactivation', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { user, refreshToken } = await loggedIn();
      // Either request first, by 0 to 4 ms.
      const lead = (round >> 1) % 5;
      const [refreshed, deactivated] = await Promise.all([
        later(round % 2 ? lead : 0, () => refresh(refreshToken)),
        later(round % 2 ? 0 : lead, () => deactivate(user.id)),
      ]);
      expect(deactivated.statusCode).toBe(200);
      expect(deactivated.json()).toMatchObject({ is_active: false });
      expect(await liveTokens(user.id)).toBe(0);
      if (refreshed.statusCode === 200) {
        // The rotation came first; the deactivation revoked the token it issued.
        const next = await refresh(refreshed.json<{ refresh_token: string }>().refresh_token);
        expect(next.statusCode).toBe(401);
        expect(next.json()).toMatchObject({ code: 'AUTH_TOKEN_REUSE' });
      } else {
        expect(refreshed.statusCode).toBe(401);
        expect(refreshed.json<{ code: string }>().code).toBe('AUTH_TOKEN_REUSE');
      }
    }
  });

  it('never lets a login that races the deactivation keep a session', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await createUser(t);
      // Spread over the password verification, which runs before the session is stored.
      const [loggedIn, deactivated] = await Promise.all([
        login(user.email),
        later(round, () => deactivate(user.id)),
      ]);
      expect(deactivated.statusCode).toBe(200);
      expect([200, 403]).toContain(loggedIn.statusCode);
      expect(await liveTokens(user.id)).toBe(0);
      if (loggedIn.statusCode === 403) {
        expect(loggedIn.json()).toMatchObject({ code: 'AUTH_ACCOUNT_DEACTIVATED' });
      } else {
        const next = await refresh(loggedIn.json<{ refresh_token: string }>().refresh_token);
        expect(next.statusCode).toBe(401);
        expect(next.json()).toMatchObject({ code: 'AUTH_TOKEN_REUSE' });
      }
    }
  });

  it('answers 403 AUTH_ACCOUNT_DEACTIVATED to a login that waited for a deactivation in progress', async () => {
    const user = await createUser(t);
    const deactivation = await t.deps.pool.connect();
    try {
      await deactivation.query('BEGIN');
      await deactivation.query('SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE', [user.id]);
      const pending = login(user.email);
      expect(await waitForLockWaiter(t)).toBe(true);
      await deactivation.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
      await deactivation.query('COMMIT');
      const res = await pending;
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'AUTH_ACCOUNT_DEACTIVATED' });
      expect(await liveTokens(user.id)).toBe(0);
    } finally {
      deactivation.release();
    }
  });
});

describe('reuse detection racing a rotation', () => {
  it('also revokes the token that a concurrent rotation of the family issues', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { user, refreshToken: first } = await loggedIn();
      const rotated = await refresh(first);
      expect(rotated.statusCode).toBe(200);
      const current = rotated.json<{ refresh_token: string }>().refresh_token;
      const [legit, replayed] = await Promise.all([refresh(current), later(round % 3, () => refresh(first))]);
      expect(replayed.statusCode).toBe(401);
      expect(replayed.json()).toMatchObject({ code: 'AUTH_TOKEN_REUSE' });
      expect([200, 401]).toContain(legit.statusCode);
      expect(await liveTokens(user.id)).toBe(0);
    }
  });
});
