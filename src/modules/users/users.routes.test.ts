import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  createAdmin,
  createBook,
  createUser,
  PASSWORD,
  type TestUser,
  useAdmin,
  useTestApp,
} from '../../../test/helpers.js';

const t = useTestApp();
const admin = useAdmin(t);

const deactivate = (id: number | string, caller: TestUser | null = admin) =>
  t.app.inject({
    method: 'PATCH',
    url: `/admin/users/${id}/deactivate`,
    headers: caller ? caller.auth : {},
  });
const reactivate = (id: number | string, caller: TestUser | null = admin) =>
  t.app.inject({
    method: 'PATCH',
    url: `/admin/users/${id}/reactivate`,
    headers: caller ? caller.auth : {},
  });

async function login(email: string): Promise<{ access_token: string; refresh_token: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password: PASSWORD },
  });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function setCreatedAt(id: number, iso: string) {
  await t.deps.db.execute(sql`UPDATE users SET created_at = ${iso} WHERE id = ${id}`);
}

describe('GET /admin/users', () => {
  it('lists accounts newest first, ties by id descending, in the AdminUserResponse shape', async () => {
    const a = await createUser(t);
    const b = await createUser(t);
    const c = await createUser(t);
    await setCreatedAt(a.id, '2030-01-02T00:00:00Z');
    await setCreatedAt(b.id, '2030-01-01T00:00:00Z');
    await setCreatedAt(c.id, '2030-01-01T00:00:00Z');
    const res = await t.app.inject({ method: 'GET', url: '/admin/users?per_page=3', headers: admin.auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.items.map((u: { id: number }) => u.id)).toEqual([a.id, c.id, b.id]);
    expect(body.items[0]).toEqual({
      id: a.id,
      email: a.email,
      full_name: null,
      role: 'user',
      is_active: true,
      created_at: '2030-01-02T00:00:00Z',
    });
    expect(body).toMatchObject({ page: 1, per_page: 3 });
    expect(body.total_pages).toBe(Math.ceil(body.total_count / 3));
  });

  it('filters by role and by activity (lax booleans), and paginates', async () => {
    const inactive = await createUser(t, { isActive: false });
    const admins = await t.app.inject({ method: 'GET', url: '/admin/users?role=admin', headers: admin.auth });
    const adminIds = admins.json().items.map((u: { id: number }) => u.id);
    expect(adminIds).toContain(admin.id);
    expect(admins.json().items.every((u: { role: string }) => u.role === 'admin')).toBe(true);

    for (const value of ['false', '0', 'no', 'OFF']) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/admin/users?is_active=${value}&per_page=100`,
        headers: admin.auth,
      });
      expect(res.statusCode).toBe(200);
      const items = res.json().items as { id: number; is_active: boolean }[];
      expect(items.map((u) => u.id)).toContain(inactive.id);
      expect(items.every((u) => !u.is_active)).toBe(true);
    }

    const both = await t.app.inject({
      method: 'GET',
      url: '/admin/users?role=user&is_active=true&per_page=1&page=2',
      headers: admin.auth,
    });
    const counts = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM users WHERE role = 'user' AND is_active`,
    );
    expect(both.json()).toMatchObject({
      total_count: counts.rows[0]!.n,
      page: 2,
      per_page: 1,
      total_pages: counts.rows[0]!.n,
    });
    expect(both.json().items).toHaveLength(1);
  });

  it('answers a page past the end with no items but the full total', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/users?page=999', headers: admin.auth });
    expect(res.json().items).toEqual([]);
    expect(res.json().total_count).toBeGreaterThan(0);
  });

  it('rejects an unknown role with the enum error and bad paging with 422', async () => {
    const role = await t.app.inject({ method: 'GET', url: '/admin/users?role=ADMIN', headers: admin.auth });
    expect(role.statusCode).toBe(422);
    expect(role.json()).toEqual({
      detail: [
        {
          type: 'enum',
          loc: ['query', 'role'],
          msg: "Input should be 'user' or 'admin'",
          input: 'ADMIN',
          ctx: { expected: "'user' or 'admin'" },
        },
      ],
      code: 'VALIDATION_ERROR',
    });
    const active = await t.app.inject({
      method: 'GET',
      url: '/admin/users?is_active=maybe',
      headers: admin.auth,
    });
    expect(active.json().detail[0]).toMatchObject({ type: 'bool_parsing', loc: ['query', 'is_active'] });
    const perPage = await t.app.inject({
      method: 'GET',
      url: '/admin/users?per_page=0',
      headers: admin.auth,
    });
    expect(perPage.json().detail[0]).toMatchObject({
      type: 'greater_than_equal',
      loc: ['query', 'per_page'],
    });
  });

  it('answers 401 without a token and 403 for a non-admin, before validating the query', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/admin/users?role=nobody' });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['www-authenticate']).toBe('Bearer');
    const user = await createUser(t);
    const res = await t.app.inject({ method: 'GET', url: '/admin/users?role=nobody', headers: user.auth });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ detail: 'Admin access required', code: 'AUTH_FORBIDDEN' });
  });
});

describe('PATCH /admin/users/{user_id}/deactivate', () => {
  it('deactivates the account, revokes all its refresh tokens and is idempotent', async () => {
    const user = await createUser(t);
    const first = await login(user.email);
    const second = await login(user.email);
    const res = await deactivate(user.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: user.id, email: user.email, full_name: null, is_active: false });

    const live = await t.deps.db.execute(
      sql`SELECT id FROM refresh_tokens WHERE user_id = ${user.id} AND revoked_at IS NULL`,
    );
    expect(live.rows).toHaveLength(0);
    const all = await t.deps.db.execute(sql`SELECT id FROM refresh_tokens WHERE user_id = ${user.id}`);
    expect(all.rows).toHaveLength(2);

    for (const token of [first.refresh_token, second.refresh_token]) {
      const refresh = await t.app.inject({
        method: 'POST',
        url: '/auth/refresh',
        payload: { refresh_token: token },
      });
      expect(refresh.statusCode).toBe(401);
      expect(refresh.json().code).toBe('AUTH_TOKEN_REUSE');
    }

    const again = await deactivate(user.id);
    expect(again.statusCode).toBe(200);
    expect(again.json().is_active).toBe(false);
  });

  it('locks out a still-valid access token at once', async () => {
    const user = await createUser(t);
    const { access_token } = await login(user.email);
    const book = await createBook(t);
    const headers = { authorization: `Bearer ${access_token}` };
    const before = await t.app.inject({
      method: 'POST',
      url: `/books/${book.id}/reviews`,
      headers,
      payload: { rating: 5 },
    });
    expect(before.statusCode).toBe(403);
    expect(before.json().code).toBe('NOT_PURCHASED');

    await deactivate(user.id);
    const after = await t.app.inject({
      method: 'POST',
      url: `/books/${book.id}/reviews`,
      headers,
      payload: { rating: 5 },
    });
    expect(after.statusCode).toBe(403);
    expect(after.json()).toEqual({
      detail: 'Account deactivated. Contact support.',
      code: 'AUTH_ACCOUNT_DEACTIVATED',
    });
  });

  it('refuses to deactivate any admin, oneself included', async () => {
    const other = await createAdmin(t);
    for (const target of [other.id, admin.id]) {
      const res = await deactivate(target);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({
        detail: 'Cannot deactivate admin accounts',
        code: 'ADMN_CANNOT_DEACTIVATE_ADMIN',
      });
    }
    const row = await t.deps.db.execute<{ is_active: boolean }>(
      sql`SELECT is_active FROM users WHERE id = ${other.id}`,
    );
    expect(row.rows[0]!.is_active).toBe(true);
  });

  it('answers 404 USER_NOT_FOUND for an unknown id and 422 for a non-integer id', async () => {
    const res = await deactivate(99999999);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'User not found', code: 'USER_NOT_FOUND' });
    const bad = await deactivate('abc');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail[0]).toMatchObject({ type: 'int_parsing', loc: ['path', 'user_id'] });
  });

  it('answers 401 and 403 before 422', async () => {
    expect((await deactivate('abc', null)).statusCode).toBe(401);
    const user = await createUser(t);
    const res = await deactivate('abc', user);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_FORBIDDEN');
  });
});

describe('PATCH /admin/users/{user_id}/reactivate', () => {
  it('reactivates the account without restoring its revoked sessions', async () => {
    const user = await createUser(t);
    const tokens = await login(user.email);
    await deactivate(user.id);
    const res = await reactivate(user.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: user.id, is_active: true, role: 'user', full_name: null });

    const refresh = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: tokens.refresh_token },
    });
    expect(refresh.statusCode).toBe(401);
    // The old access token works again because the account is active.
    const book = await createBook(t);
    const again = await t.app.inject({
      method: 'POST',
      url: `/books/${book.id}/reviews`,
      headers: { authorization: `Bearer ${tokens.access_token}` },
      payload: { rating: 5 },
    });
    expect(again.json().code).toBe('NOT_PURCHASED');
    await login(user.email);
  });

  it('is idempotent for an active account, also for an admin', async () => {
    const user = await createUser(t);
    expect((await reactivate(user.id)).json().is_active).toBe(true);
    const res = await reactivate(admin.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: admin.id, role: 'admin', is_active: true });
  });

  it('answers 404 USER_NOT_FOUND for an unknown id', async () => {
    const res = await reactivate(99999999);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'User not found', code: 'USER_NOT_FOUND' });
  });
});
