import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, PASSWORD_HASH, PASSWORD, TEST_SECRET, uniqueEmail } from './helpers.js';
import { freePort, spawnEntry, waitReady, type SpawnedProcess } from './processes.js';

// Two API processes (two replicas) on one PostgreSQL database: limits and lockouts are one, not one per process.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const replicas: (SpawnedProcess & { port: number })[] = [];

async function startReplica(): Promise<SpawnedProcess & { port: number }> {
  const port = await freePort();
  const replica = spawnEntry('src/server.ts', {
    ...process.env,
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-replica-')),
    SECRET_KEY: TEST_SECRET,
    MIGRATE_ON_START: 'false',
    WORKER: 'off',
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT_PER_MINUTE: '6',
    LOGIN_MAX_FAILURES: '3',
  });
  try {
    await waitReady(port, { proc: replica });
  } catch (err) {
    replica.child.kill('SIGKILL');
    throw err;
  }
  return { ...replica, port };
}

beforeAll(async () => {
  database = await createTestDatabase();
  replicas.push(...(await Promise.all([startReplica(), startReplica()])));
}, 120_000);

afterAll(async () => {
  await Promise.all(
    replicas.map((r) => {
      r.child.kill('SIGTERM');
      return r.exited;
    }),
  );
  await database.drop();
}, 60_000);

const post = (port: number, url: string, body: unknown) =>
  fetch(`http://127.0.0.1:${port}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('two API processes on one database', () => {
  it('share the per-address limit: the N+1th request across both gets 429', async () => {
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await post(i % 2 === 0 ? a.port : b.port, '/auth/refresh', { refresh_token: 'x' })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    for (const port of [a.port, b.port]) {
      const res = await post(port, '/auth/refresh', { refresh_token: 'x' });
      expect(res.status).toBe(429);
      expect(((await res.json()) as { code: string }).code).toBe('RATE_LIMITED');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('share the login throttle: a lockout made through one applies on the other', async () => {
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      const email = uniqueEmail('replica');
      await drizzle(pool).execute(
        sql`INSERT INTO users (email, hashed_password) VALUES (${email}, ${PASSWORD_HASH})`,
      );
      // Five logins stay within login's own flood limit (6 per minute; the first test spent refresh's).
      for (let i = 0; i < 3; i++) {
        expect((await post(a.port, '/auth/login', { email, password: 'wrong-password' })).status).toBe(401);
      }
      expect((await post(b.port, '/auth/login', { email, password: PASSWORD })).status).toBe(429);
      expect((await post(a.port, '/auth/login', { email, password: PASSWORD })).status).toBe(429);
    } finally {
      await pool.end();
    }
  });
});
