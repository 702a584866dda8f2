import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import { closeDeps, createDeps } from '../../deps.js';
import { PASSWORD, testConfig, uniqueEmail, useTestApp } from '../../../test/helpers.js';
import { purgeExpiredCounters } from './auth.jobs.js';
import { clientKey } from './auth.rate-limit.js';

const t = useTestApp({
  env: {
    AUTH_RATE_LIMIT_PER_MINUTE: '3',
    REGISTER_RATE_LIMIT_PER_HOUR: '3',
    ACCOUNT_EMAIL_RATE_LIMIT_PER_HOUR: '3',
  },
});

let addressCounter = 0;
/** A client address no other test of this file uses, so that each test starts with empty counters. */
const freshAddress = () => `198.51.100.${++addressCounter}`;

const post = (
  url: string,
  payload: Record<string, unknown>,
  opts: { remoteAddress?: string; headers?: Record<string, string> } = {},
  app = t.app,
) => app.inject({ method: 'POST', url, payload, ...opts });

/** A second API instance on the same database (another replica), with its own configuration. */
async function replica(env: Record<string, string> = {}) {
  const deps = createDeps(testConfig(env), pino({ level: 'silent' }), t.databaseUrl);
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    close: async () => {
      await app.close();
      await closeDeps(deps);
    },
  };
}

describe('rate limiting of the auth endpoints', () => {
  it.each([
    ['/auth/login', () => ({ email: uniqueEmail(), password: PASSWORD })],
    ['/auth/register', () => ({ email: uniqueEmail(), password: PASSWORD })],
    ['/auth/refresh', () => ({ refresh_token: 'unknown' })],
    ['/auth/google/token', () => ({ id_token: 'not-a-jwt' })],
    ['/auth/verify-email', () => ({ token: 'unknown' })],
    ['/auth/verify-email/resend', () => ({ email: uniqueEmail() })],
    ['/auth/password-reset', () => ({ email: uniqueEmail() })],
    ['/auth/password-reset/confirm', () => ({ token: 'unknown', password: PASSWORD })],
  ])('answers the request over the limit on %s with 429 RATE_LIMITED', async (url, body) => {
    const remoteAddress = freshAddress();
    for (let i = 0; i < 3; i++) {
      expect((await post(url, body(), { remoteAddress })).statusCode).not.toBe(429);
    }
    const res = await post(url, body(), { remoteAddress });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Another address has its own counter, and so has another route.
    expect((await post(url, body(), { remoteAddress: freshAddress() })).statusCode).not.toBe(429);
    const other = url === '/auth/refresh' ? '/auth/login' : '/auth/refresh';
    const otherBody =
      other === '/auth/login' ? { email: uniqueEmail(), password: PASSWORD } : { refresh_token: 'x' };
    expect((await post(other, otherBody, { remoteAddress })).statusCode).not.toBe(429);
  });

  it('does not limit logout', async () => {
    const remoteAddress = freshAddress();
    for (let i = 0; i < 5; i++) {
      expect((await post('/auth/logout', { refresh_token: 'unknown' }, { remoteAddress })).statusCode).toBe(
        204,
      );
    }
  });

  it('counts one IPv6 /64 as one client', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('stops one address from registering accounts by the hundred with the default limits', () => {
    const defaults = loadConfig({ DATA_DIR: '/tmp/bookstore-config-test', SECRET_KEY: 'k'.repeat(32) });
    expect(defaults.REGISTER_RATE_LIMIT_PER_HOUR).toBe(10);
    expect(defaults.AUTH_RATE_LIMIT_PER_MINUTE).toBe(30);
    expect(defaults.TRUST_PROXY).toEqual([]);
  });
});

describe('limits shared by every API instance on the database', () => {
  it('gives the N+1th registration from one address a 429, however the requests spread over two instances', async () => {
    // Both instances run with the default limit (10 registrations per hour per address).
    const a = await replica();
    const b = await replica();
    try {
      const remoteAddress = freshAddress();
      for (let i = 0; i < 10; i++) {
        const res = await post(
          '/auth/register',
          { email: uniqueEmail(), password: PASSWORD },
          { remoteAddress },
          i % 2 === 0 ? a.app : b.app,
        );
        expect(res.statusCode).toBe(201);
      }
      for (const app of [a.app, b.app]) {
        const res = await post(
          '/auth/register',
          { email: uniqueEmail(), password: PASSWORD },
          { remoteAddress },
          app,
        );
        expect(res.statusCode).toBe(429);
        expect(res.json()).toMatchObject({ code: 'RATE_LIMITED' });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(3000);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('TRUST_PROXY', () => {
  it('ignores X-Forwarded-For by default: one socket address is one client whatever the header says', async () => {
    const remoteAddress = freshAddress();
    for (let i = 0; i < 3; i++) {
      const res = await post(
        '/auth/refresh',
        { refresh_token: 'x' },
        { remoteAddress, headers: { 'x-forwarded-for': `203.0.113.${i}` } },
      );
      expect(res.statusCode).toBe(401);
    }
    const res = await post(
      '/auth/refresh',
      { refresh_token: 'x' },
      { remoteAddress, headers: { 'x-forwarded-for': '203.0.113.99' } },
    );
    expect(res.statusCode).toBe(429);
  });

  it('counts the forwarded client behind a trusted proxy, and only behind it', async () => {
    const proxy = freshAddress();
    const r = await replica({ TRUST_PROXY: `${proxy}, 10.0.0.0/8`, AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const refresh = (remoteAddress: string, forwarded: string) =>
        post(
          '/auth/refresh',
          { refresh_token: 'x' },
          { remoteAddress, headers: { 'x-forwarded-for': forwarded } },
          r.app,
        );
      for (let i = 0; i < 3; i++) expect((await refresh(proxy, '203.0.113.10')).statusCode).toBe(401);
      expect((await refresh(proxy, '203.0.113.10')).statusCode).toBe(429);
      // Another client behind the same proxy has its own counter.
      expect((await refresh(proxy, '203.0.113.11')).statusCode).toBe(401);
      // Through two trusted hops (10.0.0.0/8 is trusted too) the client is still the first untrusted address.
      expect((await refresh(proxy, '203.0.113.10, 10.1.2.3')).statusCode).toBe(429);
      // A client that is not a trusted proxy cannot choose its address with the header.
      const direct = freshAddress();
      for (let i = 0; i < 3; i++) expect((await refresh(direct, `192.0.2.${i}`)).statusCode).toBe(401);
      expect((await refresh(direct, '192.0.2.200')).statusCode).toBe(429);
    } finally {
      await r.close();
    }
  });

  it('rejects a malformed TRUST_PROXY at start-up, naming it', () => {
    expect(() => testConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
    expect(() => testConfig({ TRUST_PROXY: 'proxy.example.com' })).toThrow(/TRUST_PROXY/);
    expect(testConfig({ TRUST_PROXY: 'loopback, 192.0.2.1, 2001:db8::/32' }).TRUST_PROXY).toEqual([
      'loopback',
      '192.0.2.1',
      '2001:db8::/32',
    ]);
  });
});

describe('the counters table', () => {
  const count = async () =>
    (await t.deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM rate_limit_counters`)).rows[0]!
      .n;

  it('keeps one row per client and route, recycled when its window ends, and purges ended windows', async () => {
    const now = new Date();
    const old = new Date(now.getTime() - 2 * 60 * 60 * 1000);
    await t.deps.counters.hit(['purge-test:ended-1', 'purge-test:ended-2'], 60_000, old);
    await t.deps.counters.hit(['purge-test:live'], 60 * 60_000, now);
    // An ended window starts again at 1 instead of adding up.
    expect(
      (await t.deps.counters.hit(['purge-test:ended-1'], 60_000, now)).get('purge-test:ended-1')?.count,
    ).toBe(1);
    await t.deps.counters.hit(['purge-test:ended-3'], 60_000, old);
    const before = await count();
    expect(await purgeExpiredCounters(t.deps, now)).toBeGreaterThanOrEqual(2);
    const keys = (
      await t.deps.db.execute<{ key: string }>(
        sql`SELECT key FROM rate_limit_counters WHERE key LIKE 'purge-test:%'`,
      )
    ).rows.map((r) => r.key);
    expect(keys.sort()).toEqual(['purge-test:ended-1', 'purge-test:live']);
    expect(await count()).toBeLessThan(before);
  });
});
