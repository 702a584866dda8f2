import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, PASSWORD_HASH, PASSWORD, TEST_SECRET, uniqueEmail } from './helpers.js';

// Two API processes (two replicas) on one PostgreSQL database: limits and lockouts are one, not one per process.

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const replicas: { child: ChildProcess; port: number; output: () => string }[] = [];

async function startReplica(): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  let out = '';
  const env: NodeJS.ProcessEnv = {
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
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200)
        return { child, port, output: () => out };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`replica did not become ready:\n${out}`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  replicas.push(...(await Promise.all([startReplica(), startReplica()])));
}, 120_000);

afterAll(async () => {
  await Promise.all(
    replicas.map(
      (r) =>
        new Promise<void>((resolve) => {
          if (r.child.exitCode !== null) return resolve();
          r.child.once('exit', () => resolve());
          r.child.kill('SIGTERM');
        }),
    ),
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
