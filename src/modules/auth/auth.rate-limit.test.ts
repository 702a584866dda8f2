import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestApp, uniqueEmail, type TestContext } from '../../../test/helpers.js';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } });
});
afterAll(() => t.close());

const post = (url: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, payload });

describe('rate limiting of the auth endpoints', () => {
  it.each([
    ['/auth/login', () => ({ email: uniqueEmail(), password: PASSWORD })],
    ['/auth/register', () => ({ email: uniqueEmail(), password: PASSWORD })],
    ['/auth/refresh', () => ({ refresh_token: 'unknown' })],
    ['/auth/google/token', () => ({ id_token: 'not-a-jwt' })],
  ])('answers the request over AUTH_RATE_LIMIT_PER_MINUTE on %s with 429 RATE_LIMITED', async (url, body) => {
    for (let i = 0; i < 3; i++) {
      expect((await post(url, body())).statusCode).not.toBe(429);
    }
    const res = await post(url, body());
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('does not limit logout', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await post('/auth/logout', { refresh_token: 'unknown' })).statusCode).toBe(204);
    }
  });
});
