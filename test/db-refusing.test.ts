import net from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { closeDeps, createDeps, type Deps } from '../src/deps.js';
import { testConfig, type TestApp } from './helpers.js';

/**
 * A fake PostgreSQL server on loopback that answers every startup message with a FATAL ErrorResponse, as a real
 * server does while starting up (57P03), when out of connection slots (53300) or while shutting down (57P01).
 */
function refusingServer() {
  const state = { code: '57P03', message: 'the database system is starting up', connections: 0 };
  const server = net.createServer((socket) => {
    state.connections += 1;
    socket.on('error', () => {});
    socket.once('data', () => {
      const field = (tag: string, value: string) =>
        Buffer.concat([Buffer.from(tag), Buffer.from(`${value}\0`)]);
      const body = Buffer.concat([
        field('S', 'FATAL'),
        field('V', 'FATAL'),
        field('C', state.code),
        field('M', state.message),
        Buffer.from([0]),
      ]);
      const head = Buffer.alloc(5);
      head.write('E', 0);
      head.writeInt32BE(body.length + 4, 1);
      socket.end(Buffer.concat([head, body]));
    });
  });
  return {
    state,
    listen: () =>
      new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const fake = refusingServer();
let deps: Deps;
let app: TestApp;
let userToken: string;
let adminToken: string;

beforeAll(async () => {
  const port = await fake.listen();
  deps = createDeps(testConfig(), pino({ level: 'silent' }), `postgres://app:pw@127.0.0.1:${port}/bookstore`);
  app = await buildApp(deps);
  await app.ready();
  userToken = await deps.tokens.sign(1, 'user');
  adminToken = await deps.tokens.sign(2, 'admin');
});
afterAll(async () => {
  await app.close();
  await closeDeps(deps);
  await fake.close();
});

const REFUSALS = [
  ['57P03', 'the database system is starting up'],
  ['57P03', 'the database system is not accepting connections'],
  ['53300', 'sorry, too many clients already'],
  ['57P01', 'terminating connection due to administrator command'],
  ['08004', 'server rejected the connection'],
  ['08P01', 'invalid startup packet layout'],
  ['57P02', 'terminating connection because of crash of another server process'],
] as const;

describe('a database that refuses connections', () => {
  it('answers 503 SERVICE_UNAVAILABLE on public, user, admin and auth routes alike', async () => {
    for (const [code, message] of REFUSALS) {
      fake.state.code = code;
      fake.state.message = message;
      const requests = [
        { method: 'GET', url: '/health/ready' },
        { method: 'GET', url: '/books' },
        { method: 'GET', url: '/genres' },
        { method: 'GET', url: '/books/1/reviews' },
        { method: 'GET', url: '/cart', headers: { authorization: `Bearer ${userToken}` } },
        { method: 'GET', url: '/orders', headers: { authorization: `Bearer ${userToken}` } },
        { method: 'GET', url: '/admin/users', headers: { authorization: `Bearer ${adminToken}` } },
        {
          method: 'POST',
          url: '/auth/login',
          headers: { 'content-type': 'application/json' },
          payload: { email: 'a@example.com', password: 'password123' },
        },
        {
          method: 'POST',
          url: '/auth/register',
          headers: { 'content-type': 'application/json' },
          payload: { email: 'b@example.com', password: 'password123' },
        },
        {
          method: 'POST',
          url: '/auth/refresh',
          headers: { 'content-type': 'application/json' },
          payload: { refresh_token: 'x'.repeat(40) },
        },
      ] as const;
      for (const req of requests) {
        const res = await app.inject(req);
        const what = `${code} ${req.method} ${req.url}`;
        expect(res.statusCode, `${what}: ${res.body}`).toBe(503);
        if (req.url === '/health/ready') {
          expect(res.json()).toEqual({ status: 'unavailable', database: 'unavailable' });
        } else {
          expect(res.json(), what).toEqual({
            detail: 'Service temporarily unavailable',
            code: 'SERVICE_UNAVAILABLE',
          });
          expect(res.headers['retry-after'], what).toBeDefined();
        }
      }
    }
    expect(fake.state.connections).toBeGreaterThan(0);
  });

  it('answers 503 when nothing listens on the database port (ECONNREFUSED)', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const down = createDeps(testConfig(), pino({ level: 'silent' }), `postgres://a:b@127.0.0.1:${closed}/x`);
    const downApp = await buildApp(down);
    try {
      for (const url of ['/books', '/genres']) {
        const res = await downApp.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(503);
        expect(res.json<{ code: string }>().code).toBe('SERVICE_UNAVAILABLE');
      }
      const cart = await downApp.inject({
        method: 'GET',
        url: '/cart',
        headers: { authorization: `Bearer ${await down.tokens.sign(1, 'user')}` },
      });
      expect(cart.statusCode).toBe(503);
    } finally {
      await downApp.close();
      await closeDeps(down);
    }
  });

  it('still answers what needs no database', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/cart' })).statusCode).toBe(401);
  });
});
