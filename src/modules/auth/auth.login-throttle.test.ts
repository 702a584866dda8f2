import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { closeDeps, createDeps } from '../../deps.js';
import { createUser, PASSWORD, testConfig, useTestApp } from '../../../test/helpers.js';
import { DEVICE_COOKIE } from './auth.device-cookie.js';

let now = new Date('2026-05-01T10:00:00Z').getTime();
const clock = { now: () => new Date(now) };
const env = {
  LOGIN_MAX_FAILURES: '3',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '8',
  AUTH_RATE_LIMIT_PER_MINUTE: '10000',
};
const t = useTestApp({ env, deps: { clock } });

let addressCounter = 0;
const freshAddress = () => `198.51.100.${++addressCounter}`;
const ATTACKER = '203.0.113.66';

const login = (
  email: string,
  password: string,
  opts: { remoteAddress?: string; cookie?: string } = {},
  app = t.app,
) =>
  app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password },
    remoteAddress: opts.remoteAddress ?? '127.0.0.1',
    ...(opts.cookie !== undefined && { headers: { cookie: opts.cookie } }),
  });

/** The `name=value` part of the device cookie a successful login sets. */
function deviceCookieOf(res: Awaited<ReturnType<typeof login>>): string {
  const header = res.headers['set-cookie'];
  const cookie = (Array.isArray(header) ? header : [header]).find((c) => c?.startsWith(`${DEVICE_COOKIE}=`));
  expect(cookie).toBeDefined();
  return cookie!.split(';')[0]!;
}

describe('failed-login throttling', () => {
  it('answers 429 after LOGIN_MAX_FAILURES failures for one e-mail from one client, even with the right password, until the window ends', async () => {
    const user = await createUser(t);
    const remoteAddress = freshAddress();
    for (let i = 0; i < 3; i++)
      expect((await login(user.email, 'wrong-password', { remoteAddress })).statusCode).toBe(401);
    const blocked = await login(user.email.toUpperCase(), PASSWORD, { remoteAddress });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('RATE_LIMITED');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

    now += 15 * 60 * 1000 + 1000;
    expect((await login(user.email, PASSWORD, { remoteAddress })).statusCode).toBe(200);
  });

  it('does not count successful logins, and a success clears earlier failures', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 10; i++) expect((await login(user.email, PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) expect((await login(user.email, 'wrong-password')).statusCode).toBe(401);
    expect((await login(user.email, PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) expect((await login(user.email, 'wrong-password')).statusCode).toBe(401);
    expect((await login(user.email, PASSWORD)).statusCode).toBe(200);
  });

  it('throttles one e-mail without affecting another', async () => {
    const victim = await createUser(t);
    const other = await createUser(t);
    const remoteAddress = freshAddress();
    for (let i = 0; i < 3; i++) await login(victim.email, 'wrong-password', { remoteAddress });
    expect((await login(victim.email, PASSWORD, { remoteAddress })).statusCode).toBe(429);
    expect((await login(other.email, PASSWORD, { remoteAddress })).statusCode).toBe(200);
  });

  it("does not lock the owner out from another address with someone else's failures", async () => {
    const victim = await createUser(t);
    for (let i = 0; i < 3; i++) await login(victim.email, 'wrong-password', { remoteAddress: ATTACKER });
    expect((await login(victim.email, PASSWORD, { remoteAddress: ATTACKER })).statusCode).toBe(429);
    expect((await login(victim.email, PASSWORD, { remoteAddress: freshAddress() })).statusCode).toBe(200);
  });

  it('never refuses the right password with a valid device cookie of the account, whatever others did', async () => {
    const victim = await createUser(t);
    // The owner's earlier login, from the address everyone shares (e.g. the storefront's server).
    const shared = freshAddress();
    const ok = await login(victim.email, PASSWORD, { remoteAddress: shared });
    expect(ok.statusCode).toBe(200);
    const device = deviceCookieOf(ok);
    const setCookie = String(ok.headers['set-cookie']);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/auth/login');
    expect(setCookie).not.toContain('Secure'); // PUBLIC_BASE_URL is http in tests

    // An attacker fills both the shared address's counter and the account-wide one for untrusted clients.
    for (let i = 0; i < 3; i++) await login(victim.email, 'wrong-password', { remoteAddress: shared });
    for (let i = 0; i < 8; i++)
      await login(victim.email, 'wrong-password', { remoteAddress: freshAddress() });
    expect((await login(victim.email, PASSWORD, { remoteAddress: shared })).statusCode).toBe(429);
    expect((await login(victim.email, PASSWORD, { remoteAddress: freshAddress() })).statusCode).toBe(429);

    // The owner's device still gets in, from the shared address.
    const owner = await login(victim.email, PASSWORD, { remoteAddress: shared, cookie: device });
    expect(owner.statusCode).toBe(200);
    deviceCookieOf(owner);
  });

  it("throttles failures made with a device cookie on that device's own counter", async () => {
    const user = await createUser(t);
    const device = deviceCookieOf(await login(user.email, PASSWORD, { remoteAddress: freshAddress() }));
    const remoteAddress = freshAddress();
    for (let i = 0; i < 3; i++)
      expect((await login(user.email, 'wrong-password', { remoteAddress, cookie: device })).statusCode).toBe(
        401,
      );
    expect((await login(user.email, PASSWORD, { remoteAddress, cookie: device })).statusCode).toBe(429);
    // The same address without that cookie was not touched by those failures.
    expect((await login(user.email, PASSWORD, { remoteAddress })).statusCode).toBe(200);
  });

  it('treats a device cookie of another account, or a forged one, as no cookie', async () => {
    const victim = await createUser(t);
    const attacker = await createUser(t);
    const attackerDevice = deviceCookieOf(await login(attacker.email, PASSWORD, { remoteAddress: ATTACKER }));
    const forged = `${DEVICE_COOKIE}=${Buffer.from(JSON.stringify({ uid: victim.id, dev: 'x', exp: 4e9 })).toString('base64url')}.AAAA`;
    const remoteAddress = freshAddress();
    for (let i = 0; i < 3; i++) await login(victim.email, 'wrong-password', { remoteAddress });
    for (const cookie of [attackerDevice, forged]) {
      expect((await login(victim.email, PASSWORD, { remoteAddress, cookie })).statusCode).toBe(429);
    }
  });

  it('counts failures for an unknown e-mail like any other (no enumeration through the throttle)', async () => {
    const remoteAddress = freshAddress();
    for (let i = 0; i < 3; i++)
      expect((await login('nobody@example.com', 'wrong-password', { remoteAddress })).statusCode).toBe(401);
    expect((await login('nobody@example.com', 'wrong-password', { remoteAddress })).statusCode).toBe(429);
  });

  it('applies a lockout made through one API instance on another instance of the same database', async () => {
    const deps = createDeps(testConfig(env), pino({ level: 'silent' }), t.databaseUrl, { clock });
    const other = await buildApp(deps);
    await other.ready();
    try {
      const user = await createUser(t);
      const remoteAddress = freshAddress();
      for (let i = 0; i < 3; i++)
        expect(
          (await login(user.email, 'wrong-password', { remoteAddress }, i === 1 ? other : t.app)).statusCode,
        ).toBe(401);
      expect((await login(user.email, PASSWORD, { remoteAddress }, other)).statusCode).toBe(429);
      expect((await login(user.email, PASSWORD, { remoteAddress })).statusCode).toBe(429);
    } finally {
      await other.close();
      await closeDeps(deps);
    }
  });
});
