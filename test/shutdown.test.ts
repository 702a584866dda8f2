import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_SECRET } from './helpers.js';
import { alive, freePort, spawnEntry, waitReady } from './processes.js';

// The real entry point under SIGTERM with a client that never finishes its request: the server must not wait for
// it past SHUTDOWN_TIMEOUT_MS, and must still stop the worker, the pool and the database, in that order.

const DRAIN_MS = 2000;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

function startServer(env: NodeJS.ProcessEnv) {
  return spawnEntry('src/server.ts', {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    SECRET_KEY: TEST_SECRET,
    MAIL_SUPPRESS_SEND: 'true',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    WORKER: 'embedded',
    SHUTDOWN_TIMEOUT_MS: String(DRAIN_MS),
    ...env,
  });
}

/** A request whose body never completes: its headers promise 1000 bytes, 10 are sent. */
async function slowClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  socket.write(
    'POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      'Content-Length: 1000\r\n\r\n{"email":"',
  );
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  return { socket, closed };
}

const logLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; level?: number; exitCode?: number });

describe('graceful shutdown of the API process', () => {
  it('closes a slow client at SHUTDOWN_TIMEOUT_MS, then stops the worker, the pool and the embedded database, and exits 0', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-shutdown-test-'));
    const port = await freePort();
    const server = startServer({ PORT: String(port), DATA_DIR: dataDir });
    try {
      await waitReady(port, { proc: server, timeoutMs: 90_000 });
      const postmaster = Number(
        readFileSync(path.join(dataDir, 'db', 'postmaster.pid'), 'utf8').split('\n')[0],
      );
      expect(alive(postmaster)).toBe(true);
      const client = await slowClient(port);
      await new Promise((r) => setTimeout(r, 300)); // the request is in flight

      const signalled = Date.now();
      server.child.kill('SIGTERM');
      const { code, at } = await server.exited;
      const tookMs = at - signalled;
      console.log(`SIGTERM to exit with a slow client: ${tookMs} ms (drain deadline ${DRAIN_MS} ms)`);
      expect(code, server.output()).toBe(0);
      expect(tookMs, server.output()).toBeGreaterThanOrEqual(DRAIN_MS - 100);
      expect(tookMs, server.output()).toBeLessThan(DRAIN_MS + 8_000);
      // The slow client was disconnected by the server, not left to the request timeout (30 s).
      expect((await client.closed) - signalled, server.output()).toBeLessThan(DRAIN_MS + 1_000);
      // Verified from outside: the embedded PostgreSQL is gone and its pid file removed.
      expect(alive(postmaster), server.output()).toBe(false);
      expect(existsSync(path.join(dataDir, 'db', 'postmaster.pid'))).toBe(false);

      const messages = logLines(server.output()).map((l) => l.msg);
      const order = [
        'closing the connections still open at the deadline',
        'http server stopped',
        'worker stopped',
        'database pool stopped',
        'database stopped',
      ].map((m) => messages.indexOf(m));
      expect(messages, server.output()).toContain('shutdown complete');
      expect(
        order.every((i) => i >= 0),
        server.output(),
      ).toBe(true);
      expect(
        [...order].sort((a, b) => a - b),
        server.output(),
      ).toEqual(order);
      expect(
        logLines(server.output()).filter((l) => (l.level ?? 0) >= 50),
        server.output(),
      ).toEqual([]);
    } finally {
      server.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);

  it('on a shared database, leaves no connection, no heartbeat and no locked job behind', async () => {
    const port = await freePort();
    const server = startServer({
      PORT: String(port),
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-shutdown-test-')),
      DATABASE_URL: database.url,
    });
    const observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
    try {
      await waitReady(port, { proc: server, timeoutMs: 90_000 });
      const connections = async () =>
        (
          await observer.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
          )
        ).rows[0]!.n;
      const heartbeats = async () =>
        (await observer.query<{ n: number }>('SELECT count(*)::int AS n FROM worker_heartbeats')).rows[0]!.n;
      expect(await connections()).toBeGreaterThan(0);
      expect(await heartbeats()).toBe(1);
      const client = await slowClient(port);
      await new Promise((r) => setTimeout(r, 300));
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      const { code, at } = await server.exited;
      expect(code, server.output()).toBe(0);
      expect(at - signalled).toBeLessThan(DRAIN_MS + 8_000);
      await client.closed;
      expect(await heartbeats()).toBe(0);
      const locked = await observer.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE locked_by IS NOT NULL',
      );
      expect(locked.rows[0]!.n).toBe(0);
      // The pool was ended before the exit: PostgreSQL has seen every connection close.
      const deadline = Date.now() + 5_000;
      while ((await connections()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await connections()).toBe(0);
      expect(logLines(server.output()).map((l) => l.msg)).toContain('database pool stopped');
    } finally {
      await observer.end();
      server.child.kill('SIGKILL');
    }
  }, 150_000);
});
