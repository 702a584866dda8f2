import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, freePort, spawnEntry, waitReady, type SpawnedProcess } from './processes.js';

// These tests start the real entry point as `npm start` does: no DATABASE_URL, so an embedded PostgreSQL.
const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-server-test-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function startServer(port: number): SpawnedProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  env.LOG_LEVEL = 'info';
  return spawnEntry('src/server.ts', env);
}

function postmasterPid(): number | undefined {
  const file = path.join(dataDir, 'db', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

describe('the server entry point on the embedded database', () => {
  it('starts with no DATABASE_URL, answers /health/ready, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const server = startServer(port);
    const { child, output } = server;
    try {
      const res = await waitReady(port, { proc: server });
      expect(await res.json()).toEqual({ status: 'ok', database: 'ok' });
      const pid = postmasterPid();
      expect(pid).toBeGreaterThan(0);
      child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      expect(alive(pid!)).toBe(false);
      expect(output()).toContain('shutdown complete');
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('starts again after the previous process was killed with SIGKILL, stopping the leftover server first', async () => {
    const port = await freePort();
    const first = startServer(port);
    await waitReady(port, { proc: first });
    const leftover = postmasterPid()!;
    first.child.kill('SIGKILL');
    await first.exited;
    expect(alive(leftover)).toBe(true); // the orphaned postmaster survives a kill -9 of its parent

    const port2 = await freePort();
    const second = startServer(port2);
    try {
      const res = await waitReady(port2, { proc: second });
      expect(res.status).toBe(200);
      expect(alive(leftover)).toBe(false);
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      second.child.kill('SIGKILL');
    }
  }, 120_000);

  it('never signals a process named by a stale pid file or .owner: a live unrelated process survives and start-up succeeds', async () => {
    // The data folder exists from the tests above and was stopped cleanly: fake what a reboot leaves behind, a
    // postmaster.pid and an .owner whose pid now belongs to an unrelated live process.
    const stranger = spawn('sleep', ['300'], { stdio: 'ignore' });
    await new Promise((r) => stranger.once('spawn', r));
    const strangerPid = stranger.pid!;
    try {
      const dbDir = path.join(dataDir, 'db');
      const now = Math.floor(Date.now() / 1000);
      writeFileSync(
        path.join(dbDir, 'postmaster.pid'),
        `${strangerPid}\n${dbDir}\n${now}\n5432\n\n127.0.0.1\n  1234567   7\nready   \n`,
      );
      writeFileSync(`${dbDir}.owner`, `${strangerPid}\n`);
      const port = await freePort();
      const server = startServer(port);
      const { child, output } = server;
      try {
        const res = await waitReady(port, { proc: server });
        expect(res.status).toBe(200);
        expect(alive(strangerPid)).toBe(true);
        expect(stranger.exitCode).toBeNull();
        expect(output()).toContain('stale');
        expect(postmasterPid()).not.toBe(strangerPid);
        child.kill('SIGTERM');
        expect((await server.exited).code).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
      expect(alive(strangerPid)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
    }
  }, 120_000);
});
