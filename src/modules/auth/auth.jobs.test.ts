import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addJob } from '../../jobs/queue.js';
import { cronItems } from '../../jobs/tasks.js';
import { createUser, startTestWorker, useTestApp } from '../../../test/helpers.js';
import { purgeDeadRefreshTokens, REFRESH_TOKEN_PURGE_TASK } from './auth.jobs.js';
import { hashRefreshToken } from './auth.service.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const t = useTestApp({
  env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000', REGISTER_RATE_LIMIT_PER_HOUR: '10000' },
});

interface Row {
  token: string;
  family: string;
  expiresAt: Date;
  familyExpiresAt: Date;
  revokedAt?: Date;
}

async function insertToken(userId: number, row: Row): Promise<void> {
  await t.deps.db.execute(sql`
    INSERT INTO refresh_tokens (token, token_family, user_id, expires_at, family_expires_at, revoked_at)
    VALUES (${hashRefreshToken(row.token)}, ${row.family}, ${userId}, ${row.expiresAt.toISOString()},
            ${row.familyExpiresAt.toISOString()}, ${row.revokedAt?.toISOString() ?? null})`);
}

async function tokensOf(userId: number): Promise<string[]> {
  const rows = await t.deps.db.execute<{ token: string }>(
    sql`SELECT token FROM refresh_tokens WHERE user_id = ${userId} ORDER BY id`,
  );
  return rows.rows.map((r) => r.token);
}

/** A user with one token of each kind, relative to `now`. */
async function userWithTokens(now: Date) {
  const at = (days: number) => new Date(now.getTime() + days * DAY_MS);
  const user = await createUser(t);
  const ended = crypto.randomUUID();
  const live = crypto.randomUUID();
  const rows = {
    endedRevoked: {
      token: `a-${user.id}`,
      family: ended,
      expiresAt: at(-3),
      familyExpiresAt: at(-1),
      revokedAt: at(-40),
    },
    endedUnrevoked: { token: `b-${user.id}`, family: ended, expiresAt: at(-1), familyExpiresAt: at(-1) },
    liveRevoked: {
      token: `c-${user.id}`,
      family: live,
      expiresAt: at(5),
      familyExpiresAt: at(20),
      revokedAt: at(-2),
    },
    liveCurrent: { token: `d-${user.id}`, family: live, expiresAt: at(6), familyExpiresAt: at(20) },
  } satisfies Record<string, Row>;
  for (const row of Object.values(rows)) await insertToken(user.id, row);
  return { user, rows };
}

describe('purging refresh tokens', () => {
  it('deletes the tokens of ended families and keeps live families, revoked tokens included', async () => {
    const now = new Date();
    const { user, rows } = await userWithTokens(now);
    expect(await purgeDeadRefreshTokens(t.deps.db, now)).toBe(2);
    expect(await tokensOf(user.id)).toEqual([
      hashRefreshToken(rows.liveRevoked.token),
      hashRefreshToken(rows.liveCurrent.token),
    ]);
    expect(await purgeDeadRefreshTokens(t.deps.db, now)).toBe(0);
    expect(await tokensOf(user.id)).toHaveLength(2);
  });

  it('keeps reuse detection working for the live family after a purge', async () => {
    const now = new Date();
    const { user, rows } = await userWithTokens(now);
    await purgeDeadRefreshTokens(t.deps.db, now);
    const reused = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: rows.liveRevoked.token },
    });
    expect(reused.statusCode).toBe(401);
    expect(reused.json()).toMatchObject({ code: 'AUTH_TOKEN_REUSE' });
    const live = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = ${user.id} AND revoked_at IS NULL`,
    );
    expect(live.rows[0]!.n).toBe(0);
    const ended = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: rows.endedUnrevoked.token },
    });
    expect(ended.json()).toMatchObject({ code: 'AUTH_REFRESH_INVALID' });
  });

  it('deletes more ended tokens than one batch holds', async () => {
    const now = new Date();
    const user = await createUser(t);
    await t.deps.db.execute(sql`
      INSERT INTO refresh_tokens (token, token_family, user_id, expires_at, family_expires_at)
      SELECT 'bulk-' || ${user.id} || '-' || i, gen_random_uuid(), ${user.id},
             ${new Date(now.getTime() - 2 * DAY_MS).toISOString()}, ${new Date(now.getTime() - DAY_MS).toISOString()}
      FROM generate_series(1, 2500) AS i`);
    expect(await purgeDeadRefreshTokens(t.deps.db, now)).toBe(2500);
    expect(await tokensOf(user.id)).toEqual([]);
  });

  it('runs as a job of the worker, which also schedules it (cron)', async () => {
    const { user, rows } = await userWithTokens(new Date());
    const runner = await startTestWorker(t, { concurrency: 1, pollInterval: 50, cronItems });
    try {
      // The cron scheduler registers its items shortly after the runner starts, not before run() resolves.
      const knownCrontabs = async () =>
        (
          await t.deps.db.execute<{ identifier: string }>(
            sql`SELECT identifier FROM graphile_worker._private_known_crontabs`,
          )
        ).rows.map((r) => r.identifier);
      const cronDeadline = Date.now() + 5000;
      while (!(await knownCrontabs()).includes(REFRESH_TOKEN_PURGE_TASK) && Date.now() < cronDeadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await knownCrontabs()).toContain(REFRESH_TOKEN_PURGE_TASK);
      await t.deps.db.transaction((tx) => addJob(tx, REFRESH_TOKEN_PURGE_TASK, {}));
      const deadline = Date.now() + 5000;
      while ((await tokensOf(user.id)).length > 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await tokensOf(user.id)).toEqual([
        hashRefreshToken(rows.liveRevoked.token),
        hashRefreshToken(rows.liveCurrent.token),
      ]);
    } finally {
      await runner.stop();
    }
  });
});
