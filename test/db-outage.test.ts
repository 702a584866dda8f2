import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { closeDeps, createDeps, type Deps } from '../src/deps.js';
import { createDbProxy } from './db-proxy.js';
import { createTestDatabase, testConfig, type TestApp } from './helpers.js';

let deps: Deps;
let app: TestApp;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
const proxyTarget = { proxy: undefined as ReturnType<typeof createDbProxy> | undefined };

beforeAll(async () => {
  database = await createTestDatabase();
  const target = new URL(database.url);
  const proxy = createDbProxy(target);
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
