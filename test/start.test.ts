import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_SECRET } from './helpers.js';

// `npm start` and the compiled entry points, as a supervisor (systemd, a container runtime) runs them.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

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

function spawnLogged(command: string, args: string[], e: NodeJS.ProcessEnv) {
  let out = '';
  const child = spawn(command, args, { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function waitHealthy(port: number, timeoutMs = 60_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) return res.json();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('did not become healthy');
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Every process below `pid` (from /proc), to check that nothing outlives its parent. */
function descendants(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  const kids = readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

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
    const { child, output } = spawnLogged('npm', ['start', '--silent'], env(port));
    try {
      await waitHealthy(port);
      const below = descendants(child.pid!);
      expect(below.length).toBeGreaterThan(0);
      child.kill('SIGTERM');
      await exited(child);
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
    const { child, output } = spawnLogged(process.execPath, ['dist/server.js'], {
      ...env(port),
      MIGRATE_ON_START: 'true',
    });
    try {
      expect(await waitHealthy(port)).toMatchObject({ status: 'ok' });
      expect(output()).toContain('database migrations applied');
      child.kill('SIGTERM');
      expect((await exited(child)).code, output()).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 300_000);
});
