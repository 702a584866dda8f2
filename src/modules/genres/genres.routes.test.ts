import { describe, expect, it } from 'vitest';
import { useAdmin, useTestApp, useUser } from '../../../test/helpers.js';

const t = useTestApp();
const admin = useAdmin(t);
const user = useUser(t);

const createGenre = (name: unknown, headers = admin.auth) =>
  t.app.inject({ method: 'POST', url: '/genres', headers, payload: { name } });

describe('genres', () => {
  it('lists no genres on an empty catalog', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/genres' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
  });

  it('creates a genre for an admin and lists genres ordered by name', async () => {
    const created = await createGenre('Science Fiction');
    expect(created.statusCode).toBe(201);
    const genre = created.json<{ id: number; name: string }>();
    expect(genre).toEqual({ id: expect.any(Number) as number, name: 'Science Fiction' });
    await createGenre('Fantasy');
    await createGenre('Mystery');

    const res = await t.app.inject({ method: 'GET', url: '/genres' });
    expect(res.json<{ name: string }[]>().map((g) => g.name)).toEqual([
      'Fantasy',
      'Mystery',
      'Science Fiction',
    ]);
  });

  it('rejects a duplicate name with 409 GENRE_CONFLICT, case-sensitively', async () => {
    await createGenre('Poetry');
    const dup = await createGenre('Poetry');
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toEqual({ detail: 'Genre already exists', code: 'GENRE_CONFLICT', field: 'name' });
    expect((await createGenre('poetry')).statusCode).toBe(201);
  });

  it('gives one 201 and 409s for truly concurrent creations of one name', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => createGenre('Horror')));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    const list = await t.app.inject({ method: 'GET', url: '/genres' });
    expect(list.json<{ name: string }[]>().filter((g) => g.name === 'Horror')).toHaveLength(1);
  });

  it('validates the name length (1..100)', async () => {
    const empty = await createGenre('');
    expect(empty.statusCode).toBe(422);
    expect(empty.json()).toMatchObject({
      code: 'VALIDATION_ERROR',
      detail: [{ type: 'string_too_short', loc: ['body', 'name'], ctx: { min_length: 1 } }],
    });
    const long = await createGenre('x'.repeat(101));
    expect(long.json()).toMatchObject({
      detail: [{ type: 'string_too_long', loc: ['body', 'name'], ctx: { max_length: 100 } }],
    });
    expect((await createGenre('y'.repeat(100))).statusCode).toBe(201);
    // Counted in characters as PostgreSQL's varchar(100) counts them, not in UTF-16 units: 100 emoji fit.
    const emoji = await createGenre('📚'.repeat(100));
    expect(emoji.statusCode).toBe(201);
    expect(emoji.json()).toMatchObject({ name: '📚'.repeat(100) });
    expect((await createGenre('📗'.repeat(101))).json()).toMatchObject({
      detail: [{ type: 'string_too_long', ctx: { max_length: 100 } }],
    });
    const nul = await createGenre('bad\u0000name');
    expect(nul.json()).toMatchObject({ detail: [{ type: 'value_error', loc: ['body', 'name'] }] });
    const missing = await t.app.inject({ method: 'POST', url: '/genres', headers: admin.auth, payload: {} });
    expect(missing.json()).toMatchObject({ detail: [{ type: 'missing', loc: ['body', 'name'] }] });
  });

  it('answers 401 without a token and 403 for a non-admin, before validating the body', async () => {
    const anonymous = await t.app.inject({ method: 'POST', url: '/genres', payload: { name: '' } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual({ detail: 'Not authenticated', code: 'HTTP_401' });
    const forbidden = await createGenre('', user.auth);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual({ detail: 'Admin access required', code: 'AUTH_FORBIDDEN' });
  });
});
