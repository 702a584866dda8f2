import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { TEST_SECRET } from './helpers.js';
import { freePort, spawnEntry, waitReady } from './processes.js';

// Ctrl-C in a terminal sends SIGINT to the whole foreground process group: the API and its embedded PostgreSQL.

it('logs one JSON line per request and no error when the process group gets SIGINT', async () => {
  const port = await freePort();
  const server = spawnEntry(
    'src/server.ts',
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      SECRET_KEY: TEST_SECRET,
      MAIL_SUPPRESS_SEND: 'true',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-logs-test-')),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      WORKER: 'embedded', // graphile-worker holds a LISTEN connection too
    },
    { detached: true }, // its own process group, as a shell's foreground job
  );
  const { child, exited, output } = server;
  const pid = child.pid!;
  try {
    await waitReady(port, { path: '/health', proc: server, timeoutMs: 90_000 });
    const res = await fetch(`http://127.0.0.1:${port}/health?ticket=s3cret-ticket`);
    expect(res.status).toBe(200);
    // Let the worker settle (its LISTEN connection) and the request line reach stdout.
    await new Promise((r) => setTimeout(r, 2000));
    process.kill(-pid, 'SIGINT');
    const { code, signal } = await exited;
    expect({ code, signal }, output()).toEqual({ code: 0, signal: null });
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-pid, 'SIGKILL');
  }

  const lines = output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  expect(output()).not.toContain('s3cret-ticket');
  expect(output()).not.toContain('incoming request');
  expect(output()).not.toContain('request completed');
  const requests = lines.filter((l) => typeof l.statusCode === 'number');
  const ticketed = requests.filter((l) => String(l.url).startsWith('/health?ticket='));
  expect(ticketed).toHaveLength(1);
  expect(ticketed[0]).toMatchObject({
    level: 30,
    method: 'GET',
    url: '/health?ticket=[REDACTED]',
    statusCode: 200,
    reqId: expect.any(String),
    responseTime: expect.any(Number),
  });
  expect(lines.some((l) => l.msg === 'shutdown complete')).toBe(true);
}, 150_000);
