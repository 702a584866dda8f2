import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, PASSWORD, startTestApp, type TestContext } from '../../../test/helpers.js';

let t: TestContext;
let now = new Date('2026-05-01T10:00:00Z').getTime();
beforeAll(async () => {
  t = await startTestApp({ env: { LOGIN_MAX_FAILURES: '3' }, deps: { clock: { now: () => new Date(now) } } });
});
afterAll(() => t.close());

const login = (email: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });

describe('failed-login throttling', () => {
  it('answers 429 after LOGIN_MAX_FAILURES failures for one e-mail, even with the right password, until the window ends', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 3; i++) expect((await login(user.email, 'wrong-password')).statusCode).toBe(401);
    const blocked = await login(user.email.toUpperCase(), PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('RATE_LIMITED');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

    now += 15 * 60 * 1000 + 1000;
    expect((await login(user.email, PASSWORD)).statusCode).toBe(200);
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
    for (let i = 0; i < 3; i++) await login(victim.email, 'wrong-password');
    expect((await login(victim.email, PASSWORD)).statusCode).toBe(429);
    expect((await login(other.email, PASSWORD)).statusCode).toBe(200);
  });
});
