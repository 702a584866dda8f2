import { createServer, connect, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { closeDeps, createDeps, type Deps } from '../src/deps.js';
import { createTestDatabase, testConfig, type TestApp } from './helpers.js';

/** A TCP proxy in front of PostgreSQL that the test can cut and restore, as a database outage would. */
function createCuttableProxy(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      server!.close(() => resolve());
    });
  return { open, cut, port: () => port };
}

let deps: Deps;
let app: TestApp;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
const proxyTarget = { proxy: undefined as ReturnType<typeof createCuttableProxy> | undefined };

beforeAll(async () => {
  database = await createTestDatabase();
  const target = new URL(database.url);
  const proxy = createCuttableProxy(target);
  await proxy.open();
  proxyTarget.proxy = proxy;
  const viaProxy = new URL(database.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port());
  const config = testConfig();
  deps = createDeps(config, pino({ level: 'silent' }), viaProxy.toString());
  app = await buildApp(deps);
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await closeDeps(deps);
  await database.drop();
});

describe('when the database goes away', () => {
  it('answers 503 while it is down and recovers by itself when it returns', async () => {
    const proxy = proxyTarget.proxy!;
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/genres' })).statusCode).toBe(200);

    await proxy.cut();
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', database: 'unavailable' });
    const genres = await app.inject({ method: 'GET', url: '/genres' });
    expect(genres.statusCode).toBe(503);
    expect(genres.json()).toEqual({ detail: 'Service temporarily unavailable', code: 'SERVICE_UNAVAILABLE' });
    // Liveness does not depend on the database.
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

    await proxy.open();
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/genres' })).statusCode).toBe(200);
  });
});
