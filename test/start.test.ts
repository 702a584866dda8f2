import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_SECRET } from './helpers.js';
import { alive, freePort, spawnProcess, waitReady } from './processes.js';

// `npm start` and the compiled entry points, as a supervisor (systemd, a container runtime) runs them.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

function env(port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    SECRET_KEY: TEST_SECRET,
    MAIL_SUPPRESS_SEND: 'true',
    DATABASE_URL: database.url,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-start-test-')),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    WORKER: 'off',
  };
}

/** Every process below `pid` (from /proc), to check that nothing outlives its parent. */
function descendants(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  const kids = readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

async function refused(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/health`);
    return false;
  } catch {
    return true;
  }
}

describe('production start', () => {
  it('SIGTERM to `npm start` reaches the server: it shuts down gracefully and nothing keeps running', async () => {
    const port = await freePort();
    const npm = spawnProcess('npm', ['start', '--silent'], env(port));
    const { child, output } = npm;
    try {
      await waitReady(port, { path: '/health', proc: npm });
      const below = descendants(child.pid!);
      expect(below.length).toBeGreaterThan(0);
      child.kill('SIGTERM');
      await npm.exited;
      // npm itself exits at once; the server (its child) must shut down gracefully rather than live on reparented.
      const deadline = Date.now() + 30_000;
      while (below.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(below.filter(alive), output()).toEqual([]);
      expect(output()).toContain('shutting down');
      expect(output()).toContain('shutdown complete');
      expect(await refused(port)).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('`npm run build` compiles to dist/, and `node dist/server.js` answers /health and stops on SIGTERM', async () => {
    const build = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        'npm',
        ['run', 'build', '--silent'],
        { env: env(0), timeout: 240_000 },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }),
      );
    });
    expect(build.code, build.out).toBe(0);
    expect(existsSync('dist/server.js')).toBe(true);
    expect(existsSync('dist/worker.js')).toBe(true);
    expect(existsSync('dist/db/migrate-cli.js')).toBe(true);

    const port = await freePort();
    // MIGRATE_ON_START: the compiled code finds drizzle/ relative to the package root.
    const server = spawnProcess(process.execPath, ['dist/server.js'], {
      ...env(port),
      MIGRATE_ON_START: 'true',
    });
    const { child, output } = server;
    try {
      expect(await (await waitReady(port, { path: '/health', proc: server })).json()).toMatchObject({
        status: 'ok',
      });
      expect(output()).toContain('database migrations applied');
      child.kill('SIGTERM');
      expect((await server.exited).code, output()).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 300_000);
});
